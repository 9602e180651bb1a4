// One NFQUEUE queue served by one native thread: blocking receive of a batch, flow hash, lookup in
// the shared table, and all verdicts of the batch in one sendto. No JavaScript on this path, except in
// the callback mode that exists only as the benchmark's comparison.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "queue_error.h"
#include "shared_table.h"

namespace meridio {

struct QueueOptions {
  uint16_t queue = 0;
  uint32_t fwmarkOffset = 0;
  uint32_t queueMaxLength = 4096;
  bool failOpen = false;
  // Flow pinning: accepted packets get NF_REPEAT with their mark instead of NF_ACCEPT, so they run the
  // same hook again and the LB chain saves the mark in conntrack there (NFQA_CT needs a kernel with
  // CONFIG_NETFILTER_NETLINK_GLUE_CT). Without the pinning chain this would queue them again.
  bool repeatMarked = false;
  uint32_t batchSize = 64;
  uint32_t copyRange = 128;
  uint32_t receiveBufferBytes = 8u << 20;
  uint32_t readerSlot = 0;
  std::string netnsPath;  // empty: the namespace of the calling thread
};

// Counters written by a single thread each (relaxed, so the hot path has no locked instructions).
struct QueueCounters {
  explicit QueueCounters(uint32_t maxTargets);
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> enobufs{0};
  std::atomic<uint64_t> receiveErrors{0};
  std::atomic<uint64_t> sendErrors{0};
  std::atomic<uint64_t> verdictErrors{0};
  std::atomic<uint64_t> unparsed{0};
  std::atomic<uint64_t> repeated{0};
  std::atomic<uint64_t> callbackOverflows{0};
  uint32_t maxTargets;
  std::unique_ptr<std::atomic<uint64_t>[]> perIdentifier;  // index = identifier, 0 = dropped
};

inline void Bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

// The kernel's own view of the queue (/proc/net/netfilter/nfnetlink_queue in the queue's namespace).
struct KernelQueueStats {
  bool found = false;
  uint64_t waiting = 0;       // queue_total: packets waiting for a verdict
  uint64_t queueDropped = 0;  // dropped because the queue was full (queue max length)
  uint64_t userDropped = 0;   // dropped because the socket buffer was full
};

class PacketQueue {
 public:
  // Hands a packet (id, first bytes) to JavaScript; returns false if it could not be queued.
  using PacketCallback = std::function<bool(uint32_t packetId, const uint8_t* bytes, size_t length)>;

  // Opens, binds and configures the queue (in options.netnsPath when given); throws QueueError.
  PacketQueue(const QueueOptions& options, const SharedTable& table);
  ~PacketQueue();
  PacketQueue(const PacketQueue&) = delete;
  PacketQueue& operator=(const PacketQueue&) = delete;

  // Starts the worker. Without a callback it decides every verdict itself.
  void Start(PacketCallback callback);
  // Stops and joins the worker, then closes the socket. Idempotent.
  void Close();
  bool closed() const { return fd_ < 0; }

  // Callback mode: the verdict for one packet, sent from the JavaScript thread.
  void SendVerdict(uint32_t packetId, uint16_t identifier);

  const QueueCounters& counters() const { return counters_; }
  KernelQueueStats ReadKernelStats() const;
  const QueueOptions& options() const { return options_; }

 private:
  class VerdictBuffer;
  void Configure();
  // Another socket's port id if it holds our queue number (read in the queue's namespace).
  bool FindQueueHolder(uint32_t* portId) const;
  void Run(std::promise<void>* started);
  void HandleDatagram(const uint8_t* data, size_t length, const TableSnapshot* table, VerdictBuffer* out);
  bool Flush(VerdictBuffer* out);
  int AcceptVerdict() const;

  QueueOptions options_;
  SharedTable table_;
  QueueCounters counters_;
  int fd_ = -1;
  int netnsFd_ = -1;
  uint32_t portId_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> workerTid_{0};
  PacketCallback callback_;
  std::thread worker_;
};

}  // namespace meridio
