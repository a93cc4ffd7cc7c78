import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * The least a Java proxy can do: a TCP relay on one NIO thread, no SMTP, no MINA, no logging. bench/java-floor.sh
 * measures it beside HAProxy and greylited, so that the CPU greylited spends beyond HAProxy can be split into what
 * Java and the JDK's sockets cost (this relay) and what greylited does on top of them.
 *
 * <pre>java bench/tools/JavaRelayFloor.java LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)</pre>
 */
public final class JavaRelayFloor {

    /** The two sockets of one relayed connection. */
    private static final class Pair {
        SocketChannel client;
        SocketChannel upstream;
        SelectionKey clientKey;
    }

    public static void main(String[] args) throws IOException {
        int listen = Integer.parseInt(args[0]);
        InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET);
        server.bind(new InetSocketAddress("127.0.0.1", listen), 1024);
        server.configureBlocking(false);
        Selector selector = Selector.open();
        server.register(selector, SelectionKey.OP_ACCEPT);
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
        while (true) {
            selector.select();
            Iterator<SelectionKey> it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                if (!key.isValid()) {
                    continue;
                }
                if (key.isAcceptable()) {
                    accept(server, upstream, selector);
                } else if (key.isConnectable()) {
                    connected(key);
                } else {
                    relay(key, buf);
                }
            }
        }
    }

    private static void accept(ServerSocketChannel server, InetSocketAddress upstream, Selector selector) throws IOException {
        SocketChannel client = server.accept();
        if (client == null) {
            return;
        }
        Pair p = new Pair();
        p.client = client;
        p.upstream = SocketChannel.open(StandardProtocolFamily.INET);
        try {
            for (SocketChannel c : new SocketChannel[] {p.client, p.upstream}) {
                c.configureBlocking(false);
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            boolean connected = p.upstream.connect(upstream) || p.upstream.finishConnect();
            p.clientKey = client.register(selector, SelectionKey.OP_READ, p);
            p.upstream.register(selector, connected ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, p);
        } catch (IOException e) {
            close(p);
        }
    }

    private static void connected(SelectionKey key) {
        Pair p = (Pair) key.attachment();
        try {
            p.upstream.finishConnect();
            key.interestOps(SelectionKey.OP_READ);
        } catch (IOException e) {
            close(p);
        }
    }

    /** One read from the readable side, written whole to the other (blocking writes are not needed here). */
    private static void relay(SelectionKey key, ByteBuffer buf) {
        Pair p = (Pair) key.attachment();
        SocketChannel from = key == p.clientKey ? p.client : p.upstream;
        SocketChannel to = key == p.clientKey ? p.upstream : p.client;
        try {
            buf.clear();
            if (from.read(buf) < 0) {
                close(p);
                return;
            }
            buf.flip();
            while (buf.hasRemaining()) {
                to.write(buf);
            }
        } catch (IOException e) {
            close(p);
        }
    }

    private static void close(Pair p) {
        for (SocketChannel c : new SocketChannel[] {p.client, p.upstream}) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing: nothing more to do with it
            }
        }
    }
}
