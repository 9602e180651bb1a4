#include "packet_queue.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>

#include "flow_key.h"
#include "netns_switch.h"

namespace meridio {
namespace {

// One verdict message: nlmsghdr + nfgenmsg + NFQA_VERDICT_HDR + NFQA_MARK, with room to spare.
constexpr size_t kMaxVerdictBytes = 64;
constexpr int kReceiveTimeoutMs = 50;  // how quickly a blocked worker notices Close()
constexpr int kConfigureTimeoutMs = 2000;
constexpr int kConfigureMessages = 4;

std::string Describe(const std::string& step, int error) {
  return step + ": " + std::strerror(error);
}

sockaddr_nl KernelAddress() {
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  return address;
}

}  // namespace

QueueError::QueueError(const std::string& step, int error)
    : std::runtime_error(Describe(step, error)), step_(step), error_(error) {}

QueueCounters::QueueCounters(uint32_t targets)
    : maxTargets(targets), perIdentifier(new std::atomic<uint64_t>[targets + 1]()) {}

class PacketQueue::VerdictBuffer {
 public:
  explicit VerdictBuffer(size_t messages) : bytes_(messages * kMaxVerdictBytes) {}

  bool Full() const { return used_ + kMaxVerdictBytes > bytes_.size(); }
  bool Empty() const { return used_ == 0; }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return used_; }
  void Clear() { used_ = 0; }

  void Add(uint16_t queue, uint32_t packetId, int verdict, uint32_t mark, bool withMark) {
    char* at = reinterpret_cast<char*>(bytes_.data() + used_);
    nlmsghdr* header = nfq_nlmsg_put(at, NFQNL_MSG_VERDICT, queue);
    nfq_nlmsg_verdict_put(header, static_cast<int>(packetId), verdict);
    if (withMark) nfq_nlmsg_verdict_put_mark(header, mark);
    used_ += NLMSG_ALIGN(header->nlmsg_len);
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t used_ = 0;
};

PacketQueue::PacketQueue(const QueueOptions& options, const SharedTable& table)
    : options_(options), table_(table), counters_(table.maxTargets()) {
  if (!options_.netnsPath.empty()) {
    netnsFd_ = open(options_.netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (netnsFd_ < 0) throw QueueError("open network namespace " + options_.netnsPath, errno);
  }
  try {
    NamespaceSwitch inNamespace(netnsFd_);
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd_ < 0) throw QueueError("open a netfilter netlink socket", errno);
    sockaddr_nl local = KernelAddress();
    if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
      throw QueueError("bind the netlink socket", errno);
    }
    socklen_t length = sizeof local;
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length) < 0) {
      throw QueueError("read the netlink port id", errno);
    }
    portId_ = local.nl_pid;
    int bufferBytes = static_cast<int>(options_.receiveBufferBytes);
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &bufferBytes, sizeof bufferBytes) < 0) {
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);  // best effort unprivileged
    }
    timeval timeout{0, kReceiveTimeoutMs * 1000};
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) {
      throw QueueError("set the receive timeout", errno);
    }
    Configure();
  } catch (...) {
    Close();
    throw;
  }
}

PacketQueue::~PacketQueue() { Close(); }

void PacketQueue::Configure() {
  static const char* const kSteps[kConfigureMessages] = {
      "bind the queue", "set the copy mode and range", "set the queue maximum length", "set the queue flags"};
  std::vector<uint8_t> request(kConfigureMessages * 128);
  size_t used = 0;
  const uint32_t firstSequence = static_cast<uint32_t>(std::rand()) | 1u;
  for (int step = 0; step < kConfigureMessages; step++) {
    nlmsghdr* header = nfq_nlmsg_put(reinterpret_cast<char*>(request.data() + used), NFQNL_MSG_CONFIG,
                                     options_.queue);
    header->nlmsg_flags |= NLM_F_ACK;
    header->nlmsg_seq = firstSequence + step;
    switch (step) {
      case 0:
        nfq_nlmsg_cfg_put_cmd(header, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
        break;
      case 1:
        nfq_nlmsg_cfg_put_params(header, NFQNL_COPY_PACKET, static_cast<int>(options_.copyRange));
        break;
      case 2:
        nfq_nlmsg_cfg_put_qmaxlen(header, options_.queueMaxLength);
        break;
      default: {
        uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;
        uint32_t flags = NFQA_CFG_F_GSO | (options_.failOpen ? NFQA_CFG_F_FAIL_OPEN : 0);
        mnl_attr_put_u32(header, NFQA_CFG_FLAGS, htonl(flags));
        mnl_attr_put_u32(header, NFQA_CFG_MASK, htonl(mask));
      }
    }
    used += NLMSG_ALIGN(header->nlmsg_len);
  }
  sockaddr_nl kernel = KernelAddress();
  if (sendto(fd_, request.data(), used, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    throw QueueError("send the queue configuration", errno);
  }

  // Packets can arrive between the acknowledgements once the queue is bound; they get their verdict
  // here, with the same code as in the worker.
  std::vector<uint8_t> datagram(options_.copyRange + 8192);
  VerdictBuffer verdicts(64);
  int acknowledged = 0;
  int waitedMs = 0;
  while (acknowledged < kConfigureMessages) {
    ssize_t received = recv(fd_, datagram.data(), datagram.size(), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        waitedMs += kReceiveTimeoutMs;
        if (waitedMs >= kConfigureTimeoutMs) throw QueueError("wait for the kernel's answer", ETIMEDOUT);
        continue;
      }
      if (errno == ENOBUFS) continue;
      throw QueueError("receive the kernel's answer", errno);
    }
    TableSnapshot table = table_.Enter(options_.readerSlot);
    int remaining = static_cast<int>(received);
    for (const nlmsghdr* header = reinterpret_cast<const nlmsghdr*>(datagram.data());
         mnl_nlmsg_ok(header, remaining); header = mnl_nlmsg_next(header, &remaining)) {
      uint32_t step = header->nlmsg_seq - firstSequence;
      if (header->nlmsg_type == NLMSG_ERROR && step < kConfigureMessages) {
        const nlmsgerr* answer = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(header));
        if (answer->error != 0) {
          table_.Leave(options_.readerSlot);
          int error = -answer->error;
          // The kernel answers EPERM both without CAP_NET_ADMIN and when another socket holds the
          // queue; the namespace's queue list tells the two apart.
          uint32_t holder = 0;
          if (step == 0 && error == EPERM && FindQueueHolder(&holder)) {
            throw QueueError("bind the queue (held by netlink port " + std::to_string(holder) + ")", EBUSY);
          }
          throw QueueError(kSteps[step], error);
        }
        acknowledged++;
        continue;
      }
      HandleDatagram(reinterpret_cast<const uint8_t*>(header), header->nlmsg_len, &table, &verdicts);
    }
    Flush(&verdicts);  // before Leave: see Run
    table_.Leave(options_.readerSlot);
  }
}

void PacketQueue::Start(PacketCallback callback) {
  callback_ = std::move(callback);
  std::promise<void> started;
  std::future<void> running = started.get_future();
  worker_ = std::thread([this, &started] { Run(&started); });
  running.wait();  // so stats() finds the thread's namespace view right away
}

void PacketQueue::Close() {
  if (worker_.joinable()) {
    stop_.store(true, std::memory_order_release);
    worker_.join();
  }
  workerTid_.store(0);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (netnsFd_ >= 0) close(netnsFd_);
  netnsFd_ = -1;
}

void PacketQueue::Run(std::promise<void>* started) {
  // Only so /proc/<tid>/net shows the queue's namespace (the socket is already bound to it).
  if (netnsFd_ >= 0) setns(netnsFd_, CLONE_NEWNET);
  workerTid_.store(static_cast<int>(syscall(SYS_gettid)));
  started->set_value();

  const uint32_t batch = options_.batchSize;
  const size_t datagramBytes = options_.copyRange + 2048;
  std::vector<uint8_t> storage(batch * datagramBytes);
  std::vector<iovec> vectors(batch);
  std::vector<mmsghdr> messages(batch);
  for (uint32_t i = 0; i < batch; i++) {
    vectors[i] = iovec{storage.data() + i * datagramBytes, datagramBytes};
    messages[i] = mmsghdr{};
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  VerdictBuffer verdicts(batch * 2);

  while (!stop_.load(std::memory_order_acquire)) {
    // Blocks for the first datagram (up to the receive timeout), then takes what is already queued.
    int count = recvmmsg(fd_, messages.data(), batch, MSG_WAITFORONE, nullptr);
    if (count < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      if (errno == ENOBUFS) {
        Bump(counters_.enobufs);  // the socket buffer overflowed: the kernel dropped packets
        continue;
      }
      Bump(counters_.receiveErrors);
      if (errno == EBADF) return;
      continue;
    }
    Bump(counters_.batches);
    if (callback_) {
      for (int i = 0; i < count; i++) HandleDatagram(storage.data() + i * datagramBytes, messages[i].msg_len, nullptr, &verdicts);
    } else {
      TableSnapshot table = table_.Enter(options_.readerSlot);
      for (int i = 0; i < count; i++) HandleDatagram(storage.data() + i * datagramBytes, messages[i].msg_len, &table, &verdicts);
      // The verdicts go out before the slot is cleared: once publish() returns, every verdict decided
      // on the old table has been sent, and the kernel handles a verdict inside sendto (the packet
      // runs on to its conntrack confirmation there). So a conntrack entry that got a leaving
      // target's mark already exists when the LB deletes that mark's entries.
      Flush(&verdicts);
      table_.Leave(options_.readerSlot);
    }
    Flush(&verdicts);
  }
}

void PacketQueue::HandleDatagram(const uint8_t* data, size_t length, const TableSnapshot* table,
                                 VerdictBuffer* out) {
  int remaining = static_cast<int>(length);
  for (const nlmsghdr* header = reinterpret_cast<const nlmsghdr*>(data); mnl_nlmsg_ok(header, remaining);
       header = mnl_nlmsg_next(header, &remaining)) {
    if (header->nlmsg_type == NLMSG_ERROR) {
      const nlmsgerr* answer = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(header));
      if (answer->error != 0) Bump(counters_.verdictErrors);
      continue;
    }
    if (NFNL_SUBSYS_ID(header->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
        NFNL_MSG_TYPE(header->nlmsg_type) != NFQNL_MSG_PACKET) {
      continue;
    }
    const nfqnl_msg_packet_hdr* packetHeader = nullptr;
    const uint8_t* payload = nullptr;
    size_t payloadLength = 0;
    const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(header));
    for (const nlattr* attribute =
             static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(header, sizeof(nfgenmsg)));
         mnl_attr_ok(attribute, static_cast<int>(tail - reinterpret_cast<const char*>(attribute)));
         attribute = mnl_attr_next(attribute)) {
      uint16_t type = mnl_attr_get_type(attribute);
      if (type == NFQA_PACKET_HDR && mnl_attr_get_payload_len(attribute) >= sizeof(nfqnl_msg_packet_hdr)) {
        packetHeader = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attribute));
      } else if (type == NFQA_PAYLOAD) {
        payload = static_cast<const uint8_t*>(mnl_attr_get_payload(attribute));
        payloadLength = mnl_attr_get_payload_len(attribute);
      }
    }
    if (packetHeader == nullptr) continue;
    uint32_t packetId = ntohl(packetHeader->packet_id);
    Bump(counters_.packets);
    if (out->Full()) Flush(out);
    if (payload == nullptr) {
      // Queued before the copy mode was set: send it through the hook again to get its bytes.
      Bump(counters_.repeated);
      out->Add(options_.queue, packetId, NF_REPEAT, 0, false);
      continue;
    }
    if (table == nullptr) {
      if (!callback_(packetId, payload, payloadLength)) {
        Bump(counters_.callbackOverflows);
        out->Add(options_.queue, packetId, NF_DROP, 0, false);
      }
      continue;
    }
    FlowKey key;
    if (!ParseFlowKey(payload, payloadLength, &key)) Bump(counters_.unparsed);
    uint16_t identifier = LookupIdentifier(*table, HashFlowKey(key, table_.seed()), counters_.maxTargets);
    Bump(counters_.perIdentifier[identifier]);
    if (identifier == 0) {
      Bump(counters_.dropped);
      out->Add(options_.queue, packetId, NF_DROP, 0, false);
    } else {
      Bump(counters_.accepted);
      out->Add(options_.queue, packetId, AcceptVerdict(), options_.fwmarkOffset + identifier, true);
    }
  }
}

int PacketQueue::AcceptVerdict() const { return options_.repeatMarked ? NF_REPEAT : NF_ACCEPT; }

bool PacketQueue::Flush(VerdictBuffer* out) {
  if (out->Empty()) return true;
  sockaddr_nl kernel = KernelAddress();
  ssize_t sent;
  do {
    sent = sendto(fd_, out->data(), out->size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  out->Clear();
  if (sent < 0) {
    Bump(counters_.sendErrors);
    return false;
  }
  return true;
}

void PacketQueue::SendVerdict(uint32_t packetId, uint16_t identifier) {
  if (fd_ < 0) return;
  if (identifier > counters_.maxTargets) identifier = 0;
  VerdictBuffer verdict(1);
  Bump(counters_.perIdentifier[identifier]);
  if (identifier == 0) {
    Bump(counters_.dropped);
    verdict.Add(options_.queue, packetId, NF_DROP, 0, false);
  } else {
    Bump(counters_.accepted);
    verdict.Add(options_.queue, packetId, AcceptVerdict(), options_.fwmarkOffset + identifier, true);
  }
  Flush(&verdict);
}

bool PacketQueue::FindQueueHolder(uint32_t* portId) const {
  FILE* file = std::fopen("/proc/thread-self/net/netfilter/nfnetlink_queue", "re");
  if (file == nullptr) return false;
  unsigned queue, holder, total, mode, range, queueDropped, userDropped, sequence;
  int one;
  bool found = false;
  while (std::fscanf(file, "%u %u %u %u %u %u %u %u %d", &queue, &holder, &total, &mode, &range, &queueDropped,
                     &userDropped, &sequence, &one) == 9) {
    if (queue == options_.queue && holder != portId_) {
      *portId = holder;
      found = true;
      break;
    }
  }
  std::fclose(file);
  return found;
}

KernelQueueStats PacketQueue::ReadKernelStats() const {
  KernelQueueStats stats;
  int tid = workerTid_.load();
  char path[96];
  if (tid != 0) {
    std::snprintf(path, sizeof path, "/proc/self/task/%d/net/netfilter/nfnetlink_queue", tid);
  } else if (options_.netnsPath.empty()) {
    std::snprintf(path, sizeof path, "/proc/thread-self/net/netfilter/nfnetlink_queue");
  } else {
    return stats;
  }
  FILE* file = std::fopen(path, "re");
  if (file == nullptr) return stats;
  unsigned queue, portId, total, mode, range, queueDropped, userDropped, sequence;
  int one;
  while (std::fscanf(file, "%u %u %u %u %u %u %u %u %d", &queue, &portId, &total, &mode, &range,
                     &queueDropped, &userDropped, &sequence, &one) == 9) {
    if (queue == options_.queue && portId == portId_) {
      stats.found = true;
      stats.waiting = total;
      stats.queueDropped = queueDropped;
      stats.userDropped = userDropped;
      break;
    }
  }
  std::fclose(file);
  return stats;
}

}  // namespace meridio
