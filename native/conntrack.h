// Deletes conntrack entries by mark over ctnetlink, so the flows a leaving target had pinned are
// hashed again by their next packet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace meridio {

// One IPCTNL_MSG_CT_DELETE per mark (the kernel's flush filtered by CTA_MARK/CTA_MARK_MASK, both
// families), all sent in one datagram; returns when the kernel has acknowledged every one. Runs in
// netnsPath when given. Throws QueueError.
void DeleteConntrackByMarks(const std::string& netnsPath, const std::vector<uint32_t>& marks);

}  // namespace meridio
