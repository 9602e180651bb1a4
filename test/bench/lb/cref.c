/*
 * Minimal libnetfilter_queue consumer, the benchmark's C reference (cref_us_per_pkt): the classic
 * loop of the library's nf-queue example with the nlmsg API — receive one packet, hash its 5-tuple,
 * accept it with mark = offset + table[hash % M], one verdict per packet. Same queue settings as the
 * LB (copy range 128, GSO).
 *
 * usage: cref <queue> <fwmark offset> <targets>
 */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_SIZE 9973

static struct mnl_socket *socket_;
static unsigned queue_;
static uint32_t offset_;
static uint16_t table_[TABLE_SIZE];

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static uint32_t flow_hash(const uint8_t *p, size_t len) {
  uint32_t h = 2166136261u;
  size_t l4;
  uint8_t proto;
  if (len >= 20 && (p[0] >> 4) == 4) {
    h = fnv1a(h, p + 12, 8);
    proto = p[9];
    l4 = (size_t)(p[0] & 15) * 4;
  } else if (len >= 40 && (p[0] >> 4) == 6) {
    h = fnv1a(h, p + 8, 32);
    proto = p[6];
    l4 = 40;
  } else {
    return h;
  }
  h = fnv1a(h, &proto, 1);
  if ((proto == 6 || proto == 17) && len >= l4 + 4) h = fnv1a(h, p + l4, 4);
  return h;
}

static int on_packet(const struct nlmsghdr *nlh, void *data) {
  (void)data;
  struct nlattr *attr[NFQA_MAX + 1] = {0};
  char buf[MNL_SOCKET_BUFFER_SIZE];
  if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL) return MNL_CB_OK;
  struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
  uint32_t hash = 0;
  if (attr[NFQA_PAYLOAD] != NULL) {
    hash = flow_hash(mnl_attr_get_payload(attr[NFQA_PAYLOAD]), mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
  }
  struct nlmsghdr *verdict = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_);
  nfq_nlmsg_verdict_put(verdict, ntohl(ph->packet_id), NF_ACCEPT);
  nfq_nlmsg_verdict_put_mark(verdict, offset_ + table_[hash % TABLE_SIZE]);
  if (mnl_socket_sendto(socket_, verdict, verdict->nlmsg_len) < 0) perror("sendto");
  return MNL_CB_OK;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <queue> <fwmark offset> <targets>\n", argv[0]);
    return 2;
  }
  queue_ = (unsigned)atoi(argv[1]);
  offset_ = (uint32_t)strtoul(argv[2], NULL, 10);
  int targets = atoi(argv[3]);
  for (int i = 0; i < TABLE_SIZE; i++) table_[i] = (uint16_t)(1 + i % targets);

  char buf[MNL_SOCKET_BUFFER_SIZE + 0xffff];
  socket_ = mnl_socket_open(NETLINK_NETFILTER);
  if (socket_ == NULL || mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    perror("netlink");
    return 1;
  }
  unsigned portid = mnl_socket_get_portid(socket_);
  struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_);
  nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) {
    perror("bind");
    return 1;
  }
  nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_);
  nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 128);
  mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
  mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
  nfq_nlmsg_cfg_put_qmaxlen(nlh, 4096);
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) {
    perror("params");
    return 1;
  }
  int size = 8 << 20;
  setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    int n = mnl_socket_recvfrom(socket_, buf, sizeof buf);
    if (n < 0) continue; /* ENOBUFS: the kernel dropped packets; keep going */
    mnl_cb_run(buf, (size_t)n, 0, portid, on_packet, NULL);
  }
}
