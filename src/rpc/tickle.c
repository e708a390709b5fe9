/* Tickling a client off a connection this host does not have.
 *
 * When a head fails while a client's calls are in flight, the client's
 * TCP connection to the service address may be idle from its side: every
 * byte it sent was acknowledged, and it waits for replies, for the RPC
 * timeout (a minute by default) before it sends anything again.  Once the
 * address has moved here, nothing would reach the client to say that the
 * connection is gone.  A bare ACK from the service address with sequence
 * numbers outside the connection's window makes the client's TCP answer
 * with an ACK of its own (RFC 793 3.9, RFC 5961 5), to the address, now on
 * this host, which has no such connection and so answers with a reset
 * whose sequence number is the one the client expects: the client drops
 * the connection and reconnects, here.  (Clustered Samba does the same on
 * an IP take-over.) */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/addr.h"
#include "rpc/server.h"

static int parse(const char *hostport, struct sockaddr_storage *ss)
{
	char host[256], port[8];
	if (rpc_addr_split(hostport, host, sizeof(host), port, sizeof(port)) != 0 ||
	    !rpc_addr_port_ok(port))
		return -EINVAL;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static uint32_t sum16(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP header of a bare ACK, its checksum over the pseudo-header of
 * RFC 793 (IPv4) or RFC 8200 8.1 (IPv6). */
static void bare_ack(uint8_t tcp[20], const struct sockaddr_storage *from,
		     const struct sockaddr_storage *to)
{
	memset(tcp, 0, 20);
	uint16_t sport, dport;
	uint32_t sum = 0;
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *f = (const void *)from, *t = (const void *)to;
		sport = f->sin_port;
		dport = t->sin_port;
		sum = sum16(sum, &f->sin_addr, 4);
		sum = sum16(sum, &t->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *f = (const void *)from, *t = (const void *)to;
		sport = f->sin6_port;
		dport = t->sin6_port;
		sum = sum16(sum, &f->sin6_addr, 16);
		sum = sum16(sum, &t->sin6_addr, 16);
	}
	sum += IPPROTO_TCP + 20;
	memcpy(tcp, &sport, 2);
	memcpy(tcp + 2, &dport, 2);
	/* Sequence and acknowledgment numbers 0: outside any window the
	 * connection is likely to have. */
	tcp[12] = 5 << 4; /* a header of five words */
	tcp[13] = 0x10;	  /* ACK */
	tcp[14] = 0x04;	  /* a window of 1024 */
	uint16_t csum = htons(fold(sum16(sum, tcp, 20)));
	memcpy(tcp + 16, &csum, 2);
}

int rpc_tickle(const char *local, const char *peer)
{
	struct sockaddr_storage from, to;
	if (parse(local, &from) || parse(peer, &to) || from.ss_family != to.ss_family)
		return -EINVAL;
	uint8_t tcp[20];
	bare_ack(tcp, &from, &to);
	/* A raw TCP socket: the kernel writes the IP header, from the bound
	 * address; the ports are in the TCP header. */
	int fd = socket(from.ss_family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	socklen_t len;
	if (from.ss_family == AF_INET) {
		((struct sockaddr_in *)&from)->sin_port = 0;
		((struct sockaddr_in *)&to)->sin_port = 0;
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&from)->sin6_port = 0;
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
		len = sizeof(struct sockaddr_in6);
	}
	int rc = 0;
	if (bind(fd, (struct sockaddr *)&from, len) != 0 ||
	    sendto(fd, tcp, sizeof(tcp), 0, (struct sockaddr *)&to, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
