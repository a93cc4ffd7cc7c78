package org.greylite.daemon.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and certificates exactly as openssl(1) writes them, in the forms administrators will have. */
class OpensslFilesTest {

    @TempDir
    Path dir;

    private void openssl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ExternalPrograms.require("openssl").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "openssl " + args[0] + ": " + out);
    }

    private void selfSigned(String key, String cert) throws IOException, InterruptedException {
        openssl("req", "-new", "-x509", "-key", key, "-subj", "/CN=mx.example.test", "-days", "2", "-out", cert);
    }

    @Test
    void pkcs8FromReqNewkey() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "p8.key", "-out", "p8.crt",
                "-subj", "/CN=mx.example.test", "-days", "2");
        assertTrue(Files.readString(dir.resolve("p8.key")).contains("BEGIN PRIVATE KEY"));
        loads("p8.crt", "p8.key");
    }

    @Test
    void traditionalRsa() throws Exception {
        openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
        assertTrue(Files.readString(dir.resolve("rsa.key")).contains("BEGIN RSA PRIVATE KEY"));
        selfSigned("rsa.key", "rsa.crt");
        loads("rsa.crt", "rsa.key");
    }

    @Test
    void traditionalEcWithItsParametersBlock() throws Exception {
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", "ec.key");
        String key = Files.readString(dir.resolve("ec.key"));
        assertTrue(key.contains("BEGIN EC PARAMETERS") && key.contains("BEGIN EC PRIVATE KEY"), key);
        selfSigned("ec.key", "ec.crt");
        loads("ec.crt", "ec.key");
    }

    private void loads(String cert, String key) {
        TlsContexts.ServerTls tls = TlsContexts.server(dir.resolve(cert), dir.resolve(key));
        assertEquals("CN=mx.example.test", tls.certificate().getSubjectX500Principal().getName());
    }
}
