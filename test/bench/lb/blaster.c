/*
 * UDP traffic generator for the LB benchmark: `flows` connected UDP sockets (one source port each),
 * 18-byte datagrams sent with sendmmsg in batches, round robin over the sockets, at full speed or at
 * a fixed rate. Prints the number of datagrams sent.
 *
 * usage: blaster <destination> <port> <flows> <seconds> <packets per second, 0 = as fast as possible>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s <destination> <port> <flows> <seconds> <pps>\n", argv[0]);
    return 2;
  }
  struct sockaddr_storage address;
  memset(&address, 0, sizeof address);
  socklen_t length;
  int family;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
  if (inet_pton(AF_INET, argv[1], &v4->sin_addr) == 1) {
    family = v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)atoi(argv[2]));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, argv[1], &v6->sin6_addr) == 1) {
    family = v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)atoi(argv[2]));
    length = sizeof *v6;
  } else {
    fprintf(stderr, "bad address %s\n", argv[1]);
    return 2;
  }
  int flows = atoi(argv[3]);
  double seconds = atof(argv[4]);
  double rate = atof(argv[5]);
  int *sockets = calloc((size_t)flows, sizeof *sockets);
  for (int i = 0; i < flows; i++) {
    sockets[i] = socket(family, SOCK_DGRAM, 0);
    if (sockets[i] < 0 || connect(sockets[i], (struct sockaddr *)&address, length) < 0) {
      perror("socket");
      return 1;
    }
  }
  char payload[18] = "meridio-lb-bench!";
  struct iovec iov = {payload, sizeof payload};
  struct mmsghdr messages[BATCH];
  memset(messages, 0, sizeof messages);
  for (int i = 0; i < BATCH; i++) {
    messages[i].msg_hdr.msg_iov = &iov;
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t sent = 0;
  double start = now();
  double end = start + seconds;
  for (int flow = 0;; flow = (flow + 1) % flows) {
    double t = now();
    if (t >= end) break;
    if (rate > 0 && (double)sent >= (t - start) * rate) {
      struct timespec pause = {0, 50000};
      nanosleep(&pause, NULL);
      continue;
    }
    int n = sendmmsg(sockets[flow], messages, BATCH, MSG_DONTWAIT);
    if (n > 0) sent += (uint64_t)n;
  }
  printf("%llu\n", (unsigned long long)sent);
  return 0;
}
