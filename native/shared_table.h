// The flow table shared with TypeScript: a SharedArrayBuffer written by one JavaScript thread and
// read by the queue threads, switched atomically between two buffers.
//
// Layout (32-bit words, then two entry buffers of `capacity` uint16 identifiers each):
//   word 0 magic, 1 generation, 2 flow hash seed, 3 capacity, 4 size of buffer 0, 5 size of buffer 1,
//   6 maxTargets, 7 reader slot count, 8.. reader slots; entries start at byte kEntriesOffset.
// The active buffer is `generation & 1`. The writer fills the inactive buffer and then stores the new
// generation. A reader announces the generation it uses in its slot (generation + 1; 0 = not reading)
// and re-checks the generation, so the writer, which waits until no slot holds the generation before
// the current one, never overwrites a buffer a reader may still be reading (an RCU-style grace period).
// All accesses are sequentially consistent, like JavaScript's Atomics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace meridio {

constexpr uint32_t kTableMagic = 0x4d4c4254;  // "MLBT"
constexpr int kWordMagic = 0;
constexpr int kWordGeneration = 1;
constexpr int kWordSeed = 2;
constexpr int kWordCapacity = 3;
constexpr int kWordSize0 = 4;
constexpr int kWordMaxTargets = 6;
constexpr int kWordReaderCount = 7;
constexpr int kWordFirstReader = 8;
constexpr int kMaxReaders = 56;
constexpr size_t kEntriesOffset = 256;

struct TableSnapshot {
  const uint16_t* entries;
  uint32_t size;  // 0: no table published yet, every packet gets identifier 0
  uint32_t generation;
};

class SharedTable {
 public:
  SharedTable() = default;
  // Returns nullptr on success, or a sentence saying why the memory is not a valid shared table.
  const char* Attach(void* data, size_t bytes);

  uint32_t seed() const { return static_cast<uint32_t>(Load(kWordSeed)); }
  uint32_t maxTargets() const { return static_cast<uint32_t>(Load(kWordMaxTargets)); }
  uint32_t readerCount() const { return static_cast<uint32_t>(Load(kWordReaderCount)); }

  // For a reader thread: announce, then read the active buffer until Leave.
  TableSnapshot Enter(uint32_t readerSlot) const;
  void Leave(uint32_t readerSlot) const { Store(kWordFirstReader + static_cast<int>(readerSlot), 0); }

  // For the writer's own thread (the JavaScript main thread), which never races with itself.
  TableSnapshot Current() const;

 private:
  int32_t Load(int word) const { return __atomic_load_n(words_ + word, __ATOMIC_SEQ_CST); }
  void Store(int word, int32_t value) const { __atomic_store_n(words_ + word, value, __ATOMIC_SEQ_CST); }
  TableSnapshot SnapshotOf(uint32_t generation) const;

  int32_t* words_ = nullptr;
  const uint16_t* entries_ = nullptr;
  uint32_t capacity_ = 0;
};

// The identifier a snapshot assigns to a flow hash (0 when empty or out of range).
inline uint16_t LookupIdentifier(const TableSnapshot& table, uint32_t hash, uint32_t maxTargets) {
  if (table.size == 0) return 0;
  uint16_t identifier = table.entries[hash % table.size];
  return identifier <= maxTargets ? identifier : 0;
}

}  // namespace meridio
