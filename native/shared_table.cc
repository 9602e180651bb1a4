#include "shared_table.h"

namespace meridio {

const char* SharedTable::Attach(void* data, size_t bytes) {
  if (data == nullptr || bytes < kEntriesOffset) return "the shared table buffer is smaller than its header";
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0) return "the shared table buffer is not 8-byte aligned";
  words_ = static_cast<int32_t*>(data);
  if (static_cast<uint32_t>(Load(kWordMagic)) != kTableMagic) return "the buffer is not a flow table";
  capacity_ = static_cast<uint32_t>(Load(kWordCapacity));
  if (kEntriesOffset + size_t{2} * capacity_ * sizeof(uint16_t) > bytes) {
    return "the shared table buffer is smaller than its two entry buffers";
  }
  if (readerCount() > kMaxReaders) return "the shared table declares more reader slots than supported";
  entries_ = reinterpret_cast<const uint16_t*>(static_cast<const uint8_t*>(data) + kEntriesOffset);
  return nullptr;
}

TableSnapshot SharedTable::SnapshotOf(uint32_t generation) const {
  uint32_t buffer = generation & 1;
  uint32_t size = static_cast<uint32_t>(Load(kWordSize0 + static_cast<int>(buffer)));
  if (size > capacity_) size = 0;  // never index past the buffer, whatever the header says
  return TableSnapshot{entries_ + size_t{buffer} * capacity_, size, generation};
}

TableSnapshot SharedTable::Enter(uint32_t readerSlot) const {
  int slot = kWordFirstReader + static_cast<int>(readerSlot);
  int32_t generation;
  do {
    generation = Load(kWordGeneration);
    Store(slot, generation + 1);
  } while (Load(kWordGeneration) != generation);
  return SnapshotOf(static_cast<uint32_t>(generation));
}

TableSnapshot SharedTable::Current() const {
  return SnapshotOf(static_cast<uint32_t>(Load(kWordGeneration)));
}

}  // namespace meridio
