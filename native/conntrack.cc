#include "conntrack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "netns_switch.h"
#include "queue_error.h"

namespace meridio {
namespace {

// A filtered flush walks the whole conntrack table once per mark: give a large table time.
constexpr int kAnswerTimeoutMs = 10000;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void DeleteConntrackByMarks(const std::string& netnsPath, const std::vector<uint32_t>& marks) {
  if (marks.empty()) return;
  Fd netns(netnsPath.empty() ? -1 : open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netnsPath.empty() && netns.get() < 0) throw QueueError("open network namespace " + netnsPath, errno);
  int fd;
  {
    NamespaceSwitch inNamespace(netns.get());
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  }
  if (fd < 0) throw QueueError("open a conntrack netlink socket", errno);
  Fd socketFd(fd);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    throw QueueError("bind the conntrack netlink socket", errno);
  }
  timeval timeout{kAnswerTimeoutMs / 1000, (kAnswerTimeoutMs % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) {
    throw QueueError("set the conntrack receive timeout", errno);
  }

  constexpr size_t kMessageBytes = 64;
  std::vector<uint8_t> request(marks.size() * kMessageBytes);
  size_t used = 0;
  const uint32_t firstSequence = static_cast<uint32_t>(std::rand()) | 1u;
  for (size_t i = 0; i < marks.size(); i++) {
    nlmsghdr* header = mnl_nlmsg_put_header(request.data() + used);
    header->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
    header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    header->nlmsg_seq = firstSequence + static_cast<uint32_t>(i);
    nfgenmsg* message = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(header, sizeof(nfgenmsg)));
    message->nfgen_family = AF_UNSPEC;  // with version 0: entries of every family
    message->version = NFNETLINK_V0;
    message->res_id = 0;
    mnl_attr_put_u32(header, CTA_MARK, htonl(marks[i]));
    mnl_attr_put_u32(header, CTA_MARK_MASK, htonl(0xffffffffu));
    used += NLMSG_ALIGN(header->nlmsg_len);
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, request.data(), used, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    throw QueueError("send the conntrack delete requests", errno);
  }

  std::vector<uint8_t> answer(MNL_SOCKET_BUFFER_SIZE);
  size_t acknowledged = 0;
  int firstError = 0;
  while (acknowledged < marks.size()) {
    ssize_t received = recv(fd, answer.data(), answer.size(), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      throw QueueError("wait for the kernel's answer to the conntrack delete",
                       errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno);
    }
    int remaining = static_cast<int>(received);
    for (const nlmsghdr* header = reinterpret_cast<const nlmsghdr*>(answer.data());
         mnl_nlmsg_ok(header, remaining); header = mnl_nlmsg_next(header, &remaining)) {
      if (header->nlmsg_type != NLMSG_ERROR || header->nlmsg_seq - firstSequence >= marks.size()) continue;
      const nlmsgerr* result = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(header));
      // ENOENT: nothing carried the mark, which is what we want.
      if (result->error != 0 && result->error != -ENOENT && firstError == 0) firstError = -result->error;
      acknowledged++;
    }
  }
  if (firstError != 0) throw QueueError("delete conntrack entries by mark", firstError);
}

}  // namespace meridio
