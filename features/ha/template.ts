// keepalived's and conntrackd's configurations and the transition script (eta
// syntax), bundled as strings so rendering does no file I/O.

export const KEEPALIVED_TEMPLATE = `# <%= it.provenance %>
global_defs {
    router_id <%= it.routerId %>
    # the transition script is the agent's own file under its root, writable by root only
    script_user root
    enable_script_security
    vrrp_version 3
    vrrp_garp_master_delay 1
    vrrp_garp_master_repeat 3
}

vrrp_sync_group <%= it.group %> {
    group {
<% for (const i of it.instances) { -%>
        <%= i.name %>
<% } -%>
    }
    notify <%= it.notify %>
}
<% for (const i of it.instances) { -%>

vrrp_instance <%= i.name %> {
    state BACKUP
    # the router that holds the addresses keeps them: a returning peer does not take them back
    nopreempt
    interface <%= it.ifname %>
    virtual_router_id <%= i.vrid %>
    priority <%= it.priority %>
    advert_int <%= it.advertInt %>
    unicast_src_ip <%= it.source %>
    unicast_peer {
<% for (const p of it.peers) { -%>
        <%= p %>
<% } -%>
    }
    track_interface {
        <%= i.ifname %>
    }
<% if (i.primary.length) { -%>
    virtual_ipaddress {
<% for (const a of i.primary) { -%>
        <%= a %>
<% } -%>
    }
<% } -%>
<% if (i.excluded.length) { -%>
    virtual_ipaddress_excluded {
<% for (const a of i.excluded) { -%>
        <%= a %>
<% } -%>
    }
<% } -%>
<% if (i.routes.length) { -%>
    virtual_routes {
<% for (const r of i.routes) { -%>
        <%= r %>
<% } -%>
    }
<% } -%>
}
<% } -%>
`;

export const CONNTRACKD_TEMPLATE = `# <%= it.provenance %>
Sync {
    Mode FTFW {
        DisableExternalCache Off
        CommitTimeout 1800
        PurgeTimeout 5
    }
    UDP {
        IPv<%= it.family %>_address <%= it.source %>
        IPv<%= it.family %>_Destination_Address <%= it.peer %>
        Port <%= it.port %>
        Interface <%= it.ifname %>
        SndSocketBuffer 1249280
        RcvSocketBuffer 1249280
        Checksum on
    }
}

General {
    HashSize 32768
    HashLimit 131072
    LogFile <%= it.logFile %>
    Syslog off
    LockFile <%= it.lockFile %>
    UNIX {
        Path <%= it.socket %>
        Backlog 20
    }
    NetlinkBufferSize 2097152
    NetlinkBufferSizeMaxGrowth 8388608
    Filter From Userspace {
        Protocol Accept {
            TCP
            UDP
            ICMP
            IPv6-ICMP
        }
        Address Ignore {
            IPv4_address 127.0.0.1
            IPv6_address ::1
<% for (const a of it.ignored) { -%>
            IPv<%= a.family %>_address <%= a.address %>
<% } -%>
        }
    }
}
`;

/**
 * keepalived runs it on each transition of the sync group with argv
 * (GROUP|INSTANCE, name, state[, priority]): it records the role for the agent,
 * then does what Debian's conntrackd primary-backup.sh does.
 */
export const NOTIFY_TEMPLATE = `#!/bin/sh
# <%= it.provenance %>
[ "$1" = GROUP ] || exit 0
role=$(printf '%s' "$3" | tr 'A-Z' 'a-z')
printf '%s %s\\n' "$role" "$(date +%s.%N)" > '<%= it.roleFile %>.tmp' && mv -f '<%= it.roleFile %>.tmp' '<%= it.roleFile %>'
ct() { conntrackd -C '<%= it.conf %>' "$@"; }
case "$3" in
MASTER)
    ct -c    # commit the external cache (the peer's connections) into the kernel table
    ct -f    # flush the internal and external caches
    ct -R    # resynchronise the internal cache with the kernel table
    ct -B    # send a bulk update to the backup
    ;;
BACKUP)
    ct -t    # shorten the kernel's timers: entries the new primary does not refresh go away
    ct -n    # ask the primary for a resynchronisation
    ;;
FAULT)
    ct -t
    ;;
esac
exit 0
`;
