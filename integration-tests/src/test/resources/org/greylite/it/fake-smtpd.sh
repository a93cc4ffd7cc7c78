# A minimal SMTP server on stdin/stdout, standing in for qmail-smtpd as greylite's PROGRAM.
#
# It answers every command (EHLO with PIPELINING, DATA with 354 then 250 after the final "."),
# and appends what reached it to $FAKESMTPD_LOG, one line per event, tagged with its process id:
#   PID start <what descriptor 1 is>   PID cmd <command line>   PID message <n> lines   PID end <status>
# A message is logged only once its final "." has arrived: a partial one leaves no "message" line.
# "NOOP sqlite" answers with the SQLite library its parent (greylite) has mapped, to show where
# it was loaded from. $FAKESMTPD_EXIT is the exit status after QUIT (default 0).
CR=$(printf '\r')
log() { [ -n "${FAKESMTPD_LOG:-}" ] && printf '%s %s\n' "$$" "$*" >> "$FAKESMTPD_LOG"; return 0; }
log start "$(readlink /proc/$$/fd/1 2>/dev/null)"
printf '220 fake.example ESMTP %s\r\n' "$(readlink /proc/$$/fd/1 2>/dev/null | cut -d: -f1)"
while IFS= read -r line; do
  line=${line%"$CR"}
  log cmd "$line"
  case "$line" in
    [Ee][Hh][Ll][Oo]*) printf '250-fake.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n' ;;
    [Dd][Aa][Tt][Aa])
      printf '354 go ahead\r\n'
      n=0
      while IFS= read -r body; do
        [ "${body%"$CR"}" = . ] && { log message "$n" lines; printf '250 ok queued\r\n'; continue 2; }
        n=$((n + 1))
      done
      log end "eof in data"; exit 1 ;;
    "NOOP sqlite")
      printf '250 %s\r\n' "$(grep -m1 -o '/[^ ]*sqlitejdbc[^ ]*' /proc/$PPID/maps 2>/dev/null || echo none)" ;;
    [Qq][Uu][Ii][Tt]) printf '221 fake.example bye\r\n'; log end "${FAKESMTPD_EXIT:-0}"; exit "${FAKESMTPD_EXIT:-0}" ;;
    *) printf '250 ok\r\n' ;;
  esac
done
log end eof
