// Enters a network namespace on the calling thread for the lifetime of the object, and returns to the
// thread's original namespace when it ends. Netlink sockets opened meanwhile stay bound to the target.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "queue_error.h"

namespace meridio {

class NamespaceSwitch {
 public:
  // target < 0: stay where we are.
  explicit NamespaceSwitch(int target) {
    if (target < 0) return;
    original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (original_ < 0) throw QueueError("open the current network namespace", errno);
    if (setns(target, CLONE_NEWNET) < 0) {
      int error = errno;
      close(original_);
      throw QueueError("enter the network namespace", error);
    }
  }
  ~NamespaceSwitch() {
    if (original_ < 0) return;
    if (setns(original_, CLONE_NEWNET) < 0) {
      // The thread would stay in the wrong namespace: nothing sane can continue.
      std::fprintf(stderr, "meridio_nfqueue: cannot return to the original network namespace: %s\n",
                   std::strerror(errno));
      std::abort();
    }
    close(original_);
  }
  NamespaceSwitch(const NamespaceSwitch&) = delete;
  NamespaceSwitch& operator=(const NamespaceSwitch&) = delete;

 private:
  int original_ = -1;
};

}  // namespace meridio
