/*
 * netlink.c: `mdk-init net OP ARG... [OP ARG...]`, a container's links made
 * with NETLINK_ROUTE messages instead of `ip` + `nsenter` + `ip`.
 *
 * TypeScript decides every name, address and MAC (src/network/link-ops.ts
 * compiles the ops); this only acts, in order, and stops at the first
 * failure. A network namespace arrives as an open fd (the caller opened
 * /proc/PID/ns/net, so a reused pid cannot redirect us). Ops:
 *
 *   veth HOST PEER MAC NSFD   a veth pair HOST <-> PEER, PEER (with MAC) made in NSFD's namespace
 *   master LINK BRIDGE        LINK enslaved to BRIDGE
 *   up LINK                   LINK up
 *   netns NSFD                from here on, work in NSFD's namespace (setns)
 *   addr LINK IP/BITS         an IPv4 address on LINK
 *   route DEST/BITS GW LINK   an IPv4 route via GW out of LINK (0.0.0.0/0: the default route)
 *   del LINK                  LINK deleted (a veth's peer goes with it)
 *
 * Exit 0 when every op succeeded. Otherwise one line on stderr,
 * "error\tINDEX\tOP\tERRNO\tWHY" (INDEX counts ops from 0; WHY is the
 * kernel's extended ack or a missing link's name, often empty), and exit 125.
 *
 * Plain netlink rather than libmnl or libnl: seven requests of one shape
 * each do not justify a library that Debian does not install by default.
 * setns() is fine here: this is a fresh, single-threaded process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mdk.h"

/* One request: a header, its fixed part and attributes, in one buffer. */
struct req {
	union {
		struct nlmsghdr h;
		char buf[1024];
	};
	int overflow;
};

/* why the failing op failed, where the kernel (NLMSGERR_ATTR_MSG) or we can say */
static char why[256];

static void req_init(struct req *r, unsigned short type, unsigned short flags)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_len = NLMSG_LENGTH(0);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* LEN zeroed bytes at the end of R, aligned; NULL when they do not fit */
static void *req_put(struct req *r, size_t len)
{
	size_t at = NLMSG_ALIGN(r->h.nlmsg_len);
	if (r->overflow || at + NLMSG_ALIGN(len) > sizeof(r->buf)) {
		r->overflow = 1;
		return NULL;
	}
	r->h.nlmsg_len = (unsigned)(at + len);
	return memset(r->buf + at, 0, len);
}

static struct rtattr *attr_put(struct req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = req_put(r, RTA_LENGTH(len));
	if (!a)
		return NULL;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	return a;
}

static void attr_str(struct req *r, unsigned short type, const char *s)
{
	attr_put(r, type, s, strlen(s) + 1);
}

static void attr_u32(struct req *r, unsigned short type, uint32_t v)
{
	attr_put(r, type, &v, sizeof(v));
}

/* a nested attribute: open it, put its members, then nest_end() */
static struct rtattr *nest_start(struct req *r, unsigned short type)
{
	return attr_put(r, type, NULL, 0);
}

static void nest_end(struct req *r, struct rtattr *nest)
{
	if (nest)
		nest->rta_len = (unsigned short)((char *)&r->h + r->h.nlmsg_len - (char *)nest);
}

/* A NETLINK_ROUTE socket in the current network namespace, asking for error messages. */
static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int one = 1;
	/* both are hints: an old kernel without them still acks */
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

/* The error message attribute of an ack, after the (capped) nlmsgerr. */
static void read_ext_ack(const struct nlmsghdr *h)
{
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	if (NLMSG_LENGTH(off) > h->nlmsg_len)
		return;
	const struct rtattr *a = (const struct rtattr *)((const char *)e + off);
	int left = (int)(h->nlmsg_len - NLMSG_LENGTH(off));
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		if (a->rta_type == NLMSGERR_ATTR_MSG) {
			snprintf(why, sizeof(why), "%.*s", (int)RTA_PAYLOAD(a), (const char *)RTA_DATA(a));
			return;
		}
	}
}

/* Sends R on SOCK and waits for its ack: 0, or a negative errno. */
static int nl_talk(int sock, struct req *r)
{
	static unsigned seq;
	if (r->overflow)
		return -E2BIG;
	r->h.nlmsg_seq = ++seq;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(sock, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			if (e->error)
				read_ext_ack(h);
			return e->error; /* 0 is the ack */
		}
	}
}

static int link_index(const char *name)
{
	unsigned idx = if_nametoindex(name);
	if (idx)
		return (int)idx;
	snprintf(why, sizeof(why), "no link %s", name);
	return -ENODEV;
}

/* RTM_NEWLINK on an existing LINK: its flags and attributes changed */
static void link_req(struct req *r, int index, unsigned flags, unsigned change)
{
	req_init(r, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = req_put(r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	char end;
	int n = sscanf(s, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2], &mac[3],
		       &mac[4], &mac[5], &end);
	if (n == 6)
		return 0;
	snprintf(why, sizeof(why), "bad MAC address %s", s);
	return -EINVAL;
}

/* "A.B.C.D/BITS" */
static int parse_cidr(const char *s, struct in_addr *addr, unsigned char *bits)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(ip)) {
		snprintf(why, sizeof(why), "bad address %s", s);
		return -EINVAL;
	}
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	char *end;
	unsigned long b = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, addr) != 1 || *end || end == slash + 1 || b > 32) {
		snprintf(why, sizeof(why), "bad address %s", s);
		return -EINVAL;
	}
	*bits = (unsigned char)b;
	return 0;
}

static int parse_fd(const char *s)
{
	char *end;
	long fd = strtol(s, &end, 10);
	if (*s && !*end && fd >= 0 && fd < 1024)
		return (int)fd;
	snprintf(why, sizeof(why), "bad fd %s", s);
	return -EBADF;
}

static int op_veth(int *sock, char **a)
{
	unsigned char mac[6];
	int nsfd = parse_fd(a[3]);
	if (parse_mac(a[2], mac) < 0)
		return -EINVAL;
	if (nsfd < 0)
		return nsfd;
	struct req r;
	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = req_put(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	attr_str(&r, IFLA_IFNAME, a[0]);
	struct rtattr *info = nest_start(&r, IFLA_LINKINFO);
	attr_str(&r, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nest_start(&r, IFLA_INFO_DATA);
	/* the peer: an ifinfomsg of its own, then its attributes */
	struct rtattr *peer = nest_start(&r, VETH_INFO_PEER);
	struct ifinfomsg *pi = req_put(&r, sizeof(*pi));
	if (pi)
		pi->ifi_family = AF_UNSPEC;
	attr_str(&r, IFLA_IFNAME, a[1]);
	attr_put(&r, IFLA_ADDRESS, mac, sizeof(mac));
	attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)nsfd);
	nest_end(&r, peer);
	nest_end(&r, data);
	nest_end(&r, info);
	return nl_talk(*sock, &r);
}

static int op_master(int *sock, char **a)
{
	int link = link_index(a[0]);
	int bridge = link < 0 ? link : link_index(a[1]);
	if (bridge < 0)
		return bridge;
	struct req r;
	link_req(&r, link, 0, 0);
	attr_u32(&r, IFLA_MASTER, (uint32_t)bridge);
	return nl_talk(*sock, &r);
}

static int op_up(int *sock, char **a)
{
	int link = link_index(a[0]);
	if (link < 0)
		return link;
	struct req r;
	link_req(&r, link, IFF_UP, IFF_UP);
	return nl_talk(*sock, &r);
}

static int op_addr(int *sock, char **a)
{
	struct in_addr ip;
	unsigned char bits;
	int link = link_index(a[0]);
	if (parse_cidr(a[1], &ip, &bits) < 0)
		return -EINVAL;
	if (link < 0)
		return link;
	struct req r;
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = req_put(&r, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = bits;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)link;
	attr_put(&r, IFA_LOCAL, &ip, sizeof(ip));
	attr_put(&r, IFA_ADDRESS, &ip, sizeof(ip));
	if (bits < 31) {
		/* the subnet's broadcast address, as Docker's containers have it (`ip a`: brd) */
		struct in_addr brd = {ip.s_addr | htonl(bits ? (1U << (32 - bits)) - 1 : ~0U)};
		attr_put(&r, IFA_BROADCAST, &brd, sizeof(brd));
	}
	return nl_talk(*sock, &r);
}

static int op_route(int *sock, char **a)
{
	struct in_addr dest, gw;
	unsigned char bits;
	int link = link_index(a[2]);
	if (parse_cidr(a[0], &dest, &bits) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, a[1], &gw) != 1) {
		snprintf(why, sizeof(why), "bad gateway %s", a[1]);
		return -EINVAL;
	}
	if (link < 0)
		return link;
	struct req r;
	req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rt = req_put(&r, sizeof(*rt));
	rt->rtm_family = AF_INET;
	rt->rtm_dst_len = bits;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT; /* as `ip route add` marks it */
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	if (bits)
		attr_put(&r, RTA_DST, &dest, sizeof(dest));
	attr_put(&r, RTA_GATEWAY, &gw, sizeof(gw));
	attr_u32(&r, RTA_OIF, (uint32_t)link);
	return nl_talk(*sock, &r);
}

static int op_del(int *sock, char **a)
{
	int link = link_index(a[0]);
	if (link < 0)
		return link;
	struct req r;
	req_init(&r, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = req_put(&r, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = link;
	return nl_talk(*sock, &r);
}

/* a socket belongs to the namespace it was made in: a new one after setns */
static int op_netns(int *sock, char **a)
{
	int nsfd = parse_fd(a[0]);
	if (nsfd < 0)
		return nsfd;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	close(*sock);
	*sock = nl_open();
	return *sock < 0 ? *sock : 0;
}

static const struct {
	const char *name;
	int nargs;
	int (*run)(int *sock, char **args);
} ops[] = {
	{"veth", 4, op_veth}, {"master", 2, op_master}, {"up", 1, op_up},       {"netns", 1, op_netns},
	{"addr", 2, op_addr}, {"route", 3, op_route},   {"del", 1, op_del},
};

static int find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* the one line the caller reads: which op (its index in the list), its errno, and why */
static int fail(int index, const char *op, int err)
{
	dprintf(STDERR_FILENO, "error\t%d\t%s\t%d\t%s\n", index, op, err, why);
	return 125;
}

int net_main(int argc, char **argv)
{
	/* check the whole list before acting on any of it */
	for (int i = 0, n = 0; i < argc; n++) {
		int k = find_op(argv[i]);
		if (k < 0 || i + 1 + ops[k].nargs > argc) {
			snprintf(why, sizeof(why), "unknown op or missing arguments: %s", argv[i]);
			return fail(n, "usage", EINVAL);
		}
		i += 1 + ops[k].nargs;
	}
	int sock = nl_open();
	if (sock < 0)
		return fail(0, "socket", -sock);
	for (int i = 0, n = 0; i < argc; n++) {
		int k = find_op(argv[i]);
		int err = ops[k].run(&sock, argv + i + 1);
		if (err < 0)
			return fail(n, ops[k].name, -err);
		i += 1 + ops[k].nargs;
	}
	close(sock);
	return 0;
}
