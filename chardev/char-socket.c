/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket character devices: unix or tcp, client (connect) or server. */
#include "qemu/osdep.h"

#include <glib-unix.h>
#include <sys/socket.h>

#include "chardev-internal.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/cutils.h"
#include "qemu/sockets.h"

/* Block until a client connects to the listening socket (wait=on). */
static bool socket_wait_for_client(Chardev *chr, Error **errp)
{
    int fd;

    info_report("QEMU waiting for connection on: disconnected:%s,server=on",
                chr->addr_str);
    fd = qemu_accept(chr->listen_fd, NULL, NULL);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to accept a connection");
        return false;
    }
    qemu_socket_set_nonblock(fd);
    qemu_chr_attach_peer(chr, fd, fd);
    return true;
}

/*
 * fd=N: a socket inherited from whoever started us (QEMU's Python machine
 * harness hands the monitor over as one end of a socketpair).  Connected,
 * unless server=on says it listens.
 */
static int socket_inherited(Chardev *chr, const char *str, Error **errp)
{
    struct stat st;
    int fd;

    if (qemu_strtoi(str, NULL, 10, &fd) < 0 || fd < 0) {
        error_setg(errp, "Unable to parse FD number %s", str);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        error_setg(errp, "File descriptor '%s' is not a socket", str);
        return -1;
    }
    chr->addr_str = g_strdup_printf("fd:%d", fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);     /* not into exec: children */
    return fd;
}

bool qemu_chr_socket_open(Chardev *chr, const ChardevSpec *spec,
                          Error **errp)
{
    g_autofree char *hostport = NULL;
    int fd;

    if (spec->fd) {
        fd = socket_inherited(chr, spec->fd, errp);
    } else if (spec->path) {
        chr->addr_str = g_strdup_printf("unix:%s", spec->path);
        fd = spec->server ? unix_listen(spec->path, errp)
                          : unix_connect(spec->path, errp);
    } else {
        hostport = g_strdup_printf("%s:%s", spec->host, spec->port);
        chr->addr_str = g_strdup_printf("tcp:%s", hostport);
        fd = spec->server ? inet_listen(hostport, errp)
                          : inet_connect(hostport, errp);
    }
    if (fd < 0) {
        return false;
    }
    if (!spec->server) {
        qemu_socket_set_nonblock(fd);
        qemu_chr_attach_peer(chr, fd, fd);
        return true;
    }
    chr->listen_fd = fd;
    chr->path = g_strdup(spec->path);
    if (spec->wait && !socket_wait_for_client(chr, errp)) {
        close(fd);
        chr->listen_fd = -1;
        return false;
    }
    qemu_socket_set_nonblock(fd);
    qemu_chr_update_handlers(chr);
    return true;
}

void qemu_chr_socket_drop_msgfds(Chardev *chr)
{
    while (chr->msgfds_num > 0) {
        close(chr->msgfds[--chr->msgfds_num]);
    }
}

/* Keep the descriptors of one SCM_RIGHTS message, within the bound. */
static void socket_keep_msgfds(Chardev *chr, struct cmsghdr *cmsg)
{
    size_t n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int fd;

    for (size_t i = 0; i < n; i++) {
        memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
        if (chr->msgfds_num < CHR_MAX_MSGFDS) {
            chr->msgfds[chr->msgfds_num++] = fd;
        } else {
            close(fd);
        }
    }
}

ssize_t qemu_chr_socket_recv(Chardev *chr, uint8_t *buf, size_t len)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * CHR_MAX_MSGFDS)];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = &control,
        .msg_controllen = sizeof(control),
    };
    struct cmsghdr *cmsg;
    bool fresh = true;
    ssize_t n;

    n = RETRY_ON_EINTR(recvmsg(chr->in_fd, &msg, MSG_CMSG_CLOEXEC));
    if (n < 0 && errno == ENOTSOCK) {
        return RETRY_ON_EINTR(read(chr->in_fd, buf, len));
    }
    for (cmsg = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; cmsg;
         cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET ||
            cmsg->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        if (fresh) {
            /* New descriptors replace those nobody asked for. */
            qemu_chr_socket_drop_msgfds(chr);
            fresh = false;
        }
        socket_keep_msgfds(chr, cmsg);
    }
    return n;
}

int qemu_chr_fe_get_msgfd(CharBackend *be)
{
    Chardev *chr = be->chr;
    int fd;

    if (!chr || chr->msgfds_num == 0) {
        return -1;
    }
    fd = chr->msgfds[0];
    chr->msgfds_num--;
    memmove(chr->msgfds, chr->msgfds + 1, chr->msgfds_num * sizeof(int));
    return fd;
}
