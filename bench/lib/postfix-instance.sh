#!/usr/bin/env bash
# postfix-instance.sh setup|start|stop|queued|drained|pid DIR PORT
#
# A private Postfix for the benchmark: its own config directory (postfix -c DIR/etc), its own queue
# (DIR/spool, the normal queue with Postfix's usual fsyncs), smtpd on 127.0.0.1:PORT only.
# Delivery (PF_DELIVERY): discard (default: every message goes to discard(8), no mailbox write, less
# work than Posthorn's Maildir delivery) or maildir (virtual(8) into DIR/mail/postmaster/, a Maildir,
# written and fsynced like Posthorn's). Never touches the system instance in /etc/postfix.
set -euo pipefail
cmd=${1:?setup|start|stop|queued|drained|pid} dir=${2:?DIR} port=${3:-22526}
delivery=${PF_DELIVERY:-discard}
etc=$dir/etc spool=$dir/spool data=$dir/data

setup() {
    command -v postfix >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null; }
    stop_instance || true
    rm -rf "$dir"
    mkdir -p "$etc" "$spool" "$data"
    chown postfix "$data"
    cat > "$etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $spool
data_directory = $data
myhostname = postfix-bench.localhost
mydomain = localhost
myorigin = localhost
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks reject_unauth_destination
alias_maps =
alias_database =
default_transport = discard:
relay_transport = discard:
biff = no
append_dot_mydomain = no
# 200 concurrent sessions need 200 smtpd processes (Debian's default limit is 100)
default_process_limit = 300
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
message_size_limit = 36700160
# Log to a file, as Posthorn logs to a file: both pay for one line per message.
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
CF
    # Debian's master.cf, reduced to what this instance runs, with no chroot (the queue is private).
    cat > "$etc/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
    if [ "$delivery" = maildir ]; then
        # localhost becomes a virtual mailbox domain: every recipient into one Maildir (trailing /)
        mkdir -p "$dir/mail"
        chown nobody:nogroup "$dir/mail"
        sed -i 's/^mydestination = localhost$/mydestination =/' "$etc/main.cf"
        cat >> "$etc/main.cf" <<CF
virtual_mailbox_domains = localhost
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:postmaster/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 1000
CF
    else
        cat >> "$etc/main.cf" <<CF
# postmaster@localhost is a local recipient; deliver it (and anything else) with discard(8)
local_recipient_maps =
local_transport = discard:
CF
    fi
    postfix -c "$etc" set-permissions >/dev/null 2>&1 || true
    postfix -c "$etc" check
}

stop_instance() {
    [ -f "$etc/main.cf" ] || return 0
    postfix -c "$etc" stop >/dev/null 2>&1 || true
    # wait for master to go away (its pid file is in the private queue)
    for _ in $(seq 50); do
        [ -s "$spool/pid/master.pid" ] && kill -0 "$(tr -d ' ' < "$spool/pid/master.pid")" 2>/dev/null || return 0
        sleep 0.2
    done
}

# Messages not yet delivered (the queue manager's directories).
queued() {
    find "$spool/maildrop" "$spool/incoming" "$spool/active" "$spool/deferred" "$spool/hold" -type f 2>/dev/null | wc -l
}

case $cmd in
    setup) setup ;;
    start)
        postfix -c "$etc" start >/dev/null 2>&1
        for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0; sleep 0.2; done
        echo "postfix-instance: smtpd did not open 127.0.0.1:$port" >&2; exit 1 ;;
    stop) stop_instance ;;
    queued) queued ;;
    drained)
        # waits (at most 120 s) until the queue is empty
        for _ in $(seq 600); do [ "$(queued)" -eq 0 ] && exit 0; sleep 0.2; done
        echo "postfix-instance: queue not empty after 120 s" >&2; exit 1 ;;
    pid) tr -d ' ' < "$spool/pid/master.pid" ;;
    delivered) # messages in the Maildir (PF_DELIVERY=maildir)
        n=$(ls -f "$dir/mail/postmaster/new" 2>/dev/null | wc -l); echo $(( n > 2 ? n - 2 : 0 )) ;;
    *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
