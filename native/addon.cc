// Node-API surface of the LB data path: the queue handle, and the parser/lookup exposed for tests.
#include <napi.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "conntrack.h"
#include "flow_key.h"
#include "packet_queue.h"
#include "shared_table.h"

namespace meridio {
namespace {

Napi::Error QueueErrorToJs(Napi::Env env, const QueueError& error) {
  Napi::Error result = Napi::Error::New(env, error.what());
  const char* name = strerrorname_np(error.error());
  result.Set("code", Napi::String::New(env, name != nullptr ? name : "EUNKNOWN"));
  result.Set("errno", Napi::Number::New(env, error.error()));
  result.Set("step", Napi::String::New(env, error.step()));
  return result;
}

// Attaches a SharedTable to the memory of an Int32Array over the table's SharedArrayBuffer.
SharedTable AttachTable(Napi::Env env, const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "the flow table must be given as an Int32Array over its buffer");
  }
  Napi::Int32Array words = value.As<Napi::Int32Array>();
  SharedTable table;
  const char* problem = table.Attach(words.Data(), words.ByteLength());
  if (problem != nullptr) throw Napi::TypeError::New(env, problem);
  return table;
}

uint32_t Uint32Option(const Napi::Object& options, const char* name, uint32_t fallback) {
  Napi::Value value = options.Get(name);
  return value.IsNumber() ? value.As<Napi::Number>().Uint32Value() : fallback;
}

struct JsPacket {
  uint32_t id;
  std::vector<uint8_t> bytes;
};

using QueueRef = std::shared_ptr<PacketQueue>;

void CallJavaScript(Napi::Env env, Napi::Function callback, QueueRef* queue, JsPacket* packet) {
  std::unique_ptr<JsPacket> owned(packet);
  if (env == nullptr || queue == nullptr || (*queue)->closed()) return;  // torn down: the kernel drops it
  uint16_t identifier = 0;
  try {
    Napi::Value result = callback.Call({Napi::Buffer<uint8_t>::Copy(env, owned->bytes.data(), owned->bytes.size())});
    if (result.IsNumber()) {
      uint32_t value = result.As<Napi::Number>().Uint32Value();
      identifier = value <= 0xffff ? static_cast<uint16_t>(value) : 0;
    }
  } catch (const Napi::Error&) {
    identifier = 0;  // a throwing callback drops the packet rather than stalling the queue
  }
  (*queue)->SendVerdict(owned->id, identifier);
}

using PacketFunction = Napi::TypedThreadSafeFunction<QueueRef, JsPacket, CallJavaScript>;

class NfQueueHandle : public Napi::ObjectWrap<NfQueueHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NfQueueHandle",
                       {InstanceMethod<&NfQueueHandle::Stats>("stats"),
                        InstanceMethod<&NfQueueHandle::Close>("close")});
  }

  explicit NfQueueHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NfQueueHandle>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "NfQueueHandle needs an options object");
    Napi::Object options = info[0].As<Napi::Object>();
    Napi::Value tableValue = options.Get("table");
    SharedTable table = AttachTable(env, tableValue);
    tableReference_ = Napi::Persistent(tableValue.As<Napi::Object>());

    QueueOptions queueOptions;
    queueOptions.queue = static_cast<uint16_t>(Uint32Option(options, "queue", 0));
    queueOptions.fwmarkOffset = Uint32Option(options, "fwmarkOffset", 0);
    queueOptions.queueMaxLength = Uint32Option(options, "queueMaxLength", 4096);
    queueOptions.batchSize = Uint32Option(options, "batchSize", 64);
    queueOptions.copyRange = Uint32Option(options, "copyRange", 128);
    queueOptions.receiveBufferBytes = Uint32Option(options, "receiveBufferBytes", 8u << 20);
    queueOptions.readerSlot = Uint32Option(options, "readerSlot", 0);
    queueOptions.failOpen = options.Get("failOpen").ToBoolean().Value();
    queueOptions.repeatMarked = options.Get("repeatMarked").ToBoolean().Value();
    Napi::Value netns = options.Get("netnsPath");
    if (netns.IsString()) queueOptions.netnsPath = netns.As<Napi::String>().Utf8Value();
    if (queueOptions.readerSlot >= table.readerCount()) {
      throw Napi::RangeError::New(env, "the reader slot is outside the flow table's reader slots");
    }

    try {
      queue_ = std::make_shared<PacketQueue>(queueOptions, table);
    } catch (const QueueError& error) {
      throw QueueErrorToJs(env, error);
    }

    Napi::Value callback = options.Get("callback");
    if (callback.IsFunction()) {
      packetFunction_ = PacketFunction::New(env, callback.As<Napi::Function>(), "meridio-nfqueue-packet", 0, 1,
                                            new QueueRef(queue_),
                                            [](Napi::Env, void*, QueueRef* context) { delete context; });
      PacketFunction function = packetFunction_;
      queue_->Start([function](uint32_t id, const uint8_t* bytes, size_t length) mutable {
        auto* packet = new JsPacket{id, std::vector<uint8_t>(bytes, bytes + length)};
        if (function.NonBlockingCall(packet) == napi_ok) return true;
        delete packet;
        return false;
      });
      hasCallback_ = true;
    } else {
      queue_->Start(nullptr);
    }
    napi_add_env_cleanup_hook(env, CloseAtExit, queue_.get());
  }

  ~NfQueueHandle() override { Shutdown(); }

 private:
  static void CloseAtExit(void* queue) { static_cast<PacketQueue*>(queue)->Close(); }

  void Shutdown() {
    if (!queue_ || queue_->closed()) return;
    queue_->Close();
    napi_remove_env_cleanup_hook(Env(), CloseAtExit, queue_.get());
    if (hasCallback_) packetFunction_.Release();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const QueueCounters& counters = queue_->counters();
    Napi::Object stats = Napi::Object::New(env);
    auto put = [&](const char* name, const std::atomic<uint64_t>& counter) {
      stats.Set(name, Napi::Number::New(env, static_cast<double>(counter.load(std::memory_order_relaxed))));
    };
    put("packets", counters.packets);
    put("accepted", counters.accepted);
    put("dropped", counters.dropped);
    put("batches", counters.batches);
    put("enobufs", counters.enobufs);
    put("receiveErrors", counters.receiveErrors);
    put("sendErrors", counters.sendErrors);
    put("verdictErrors", counters.verdictErrors);
    put("unparsed", counters.unparsed);
    put("repeated", counters.repeated);
    put("callbackOverflows", counters.callbackOverflows);
    Napi::Float64Array perIdentifier = Napi::Float64Array::New(env, counters.maxTargets + 1);
    for (uint32_t i = 0; i <= counters.maxTargets; i++) {
      perIdentifier[i] = static_cast<double>(counters.perIdentifier[i].load(std::memory_order_relaxed));
    }
    stats.Set("perIdentifier", perIdentifier);
    KernelQueueStats kernel = queue_->ReadKernelStats();
    if (kernel.found) {
      Napi::Object kernelStats = Napi::Object::New(env);
      kernelStats.Set("waiting", Napi::Number::New(env, static_cast<double>(kernel.waiting)));
      kernelStats.Set("queueDropped", Napi::Number::New(env, static_cast<double>(kernel.queueDropped)));
      kernelStats.Set("userDropped", Napi::Number::New(env, static_cast<double>(kernel.userDropped)));
      stats.Set("kernel", kernelStats);
    }
    return stats;
  }

  std::shared_ptr<PacketQueue> queue_;
  Napi::ObjectReference tableReference_;
  PacketFunction packetFunction_;
  bool hasCallback_ = false;
};

Napi::Uint8Array PacketArgument(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "the packet must be a Uint8Array or Buffer");
  }
  return info[index].As<Napi::Uint8Array>();
}

// hashPacket(packet, seed, out) → false when unparsable; else fills out (Uint32Array(13)): source (4
// big-endian words), destination (4), family, protocol, (sourcePort << 16) | destinationPort, flags,
// hash. An output array instead of an object keeps a fuzz loop of 100,000 packets cheap.
Napi::Value HashPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array packet = PacketArgument(info, 0);
  uint32_t seed = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
      info[2].As<Napi::Uint32Array>().ElementLength() < 13) {
    throw Napi::TypeError::New(env, "hashPacket needs a Uint32Array of 13 words for its result");
  }
  Napi::Uint32Array out = info[2].As<Napi::Uint32Array>();
  FlowKey key;
  if (!ParseFlowKey(packet.Data(), packet.ByteLength(), &key)) return Napi::Boolean::New(env, false);
  uint32_t* words = out.Data();
  for (int i = 0; i < 4; i++) {
    words[i] = (uint32_t{key.source[4 * i]} << 24) | (uint32_t{key.source[4 * i + 1]} << 16) |
               (uint32_t{key.source[4 * i + 2]} << 8) | key.source[4 * i + 3];
    words[4 + i] = (uint32_t{key.destination[4 * i]} << 24) | (uint32_t{key.destination[4 * i + 1]} << 16) |
                   (uint32_t{key.destination[4 * i + 2]} << 8) | key.destination[4 * i + 3];
  }
  words[8] = key.family;
  words[9] = key.protocol;
  words[10] = (uint32_t{key.sourcePort} << 16) | key.destinationPort;
  words[11] = key.flags;
  words[12] = HashFlowKey(key, seed);
  return Napi::Boolean::New(env, true);
}

// lookupPacket(tableWords, packet) → { identifier, hash, entry }: exactly what the queue thread decides.
Napi::Value LookupPacket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedTable table = AttachTable(env, info[0]);
  Napi::Uint8Array packet = PacketArgument(info, 1);
  FlowKey key;
  ParseFlowKey(packet.Data(), packet.ByteLength(), &key);
  uint32_t hash = HashFlowKey(key, table.seed());
  TableSnapshot snapshot = table.Current();
  Napi::Object result = Napi::Object::New(env);
  result.Set("identifier", Napi::Number::New(env, LookupIdentifier(snapshot, hash, table.maxTargets())));
  result.Set("hash", Napi::Number::New(env, hash));
  result.Set("entry", snapshot.size == 0 ? env.Null() : Napi::Number::New(env, hash % snapshot.size));
  return result;
}

// scanTable(tableWords, readerSlot) → { generation, size, uniform }: reads the whole active table as a
// queue thread does (announce, read, leave). A self-check of the publish protocol: a test publishes
// uniform tables from JavaScript while worker threads scan; a torn read shows as uniform === false.
Napi::Value ScanTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SharedTable table = AttachTable(env, info[0]);
  uint32_t slot = info[1].IsNumber() ? info[1].As<Napi::Number>().Uint32Value() : 0;
  if (slot >= table.readerCount()) throw Napi::RangeError::New(env, "the reader slot is out of range");
  TableSnapshot snapshot = table.Enter(slot);
  bool uniform = true;
  for (uint32_t i = 1; i < snapshot.size; i++) {
    // volatile: each entry is really read from the shared memory, as the queue thread would.
    if (static_cast<const volatile uint16_t*>(snapshot.entries)[i] != snapshot.entries[0]) uniform = false;
  }
  table.Leave(slot);
  Napi::Object result = Napi::Object::New(env);
  result.Set("generation", Napi::Number::New(env, snapshot.generation));
  result.Set("size", Napi::Number::New(env, snapshot.size));
  result.Set("uniform", Napi::Boolean::New(env, uniform));
  return result;
}

// Runs DeleteConntrackByMarks on a libuv worker thread (a filtered flush walks the whole conntrack
// table per mark) and settles a promise; a failure carries code, errno and step like a queue error.
class ConntrackDeleteWorker : public Napi::AsyncWorker {
 public:
  ConntrackDeleteWorker(Napi::Env env, std::string netnsPath, std::vector<uint32_t> marks)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), netnsPath_(std::move(netnsPath)),
        marks_(std::move(marks)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      DeleteConntrackByMarks(netnsPath_, marks_);
    } catch (const QueueError& error) {
      failure_ = std::make_unique<QueueError>(error);
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override {
    deferred_.Reject(failure_ ? QueueErrorToJs(Env(), *failure_).Value() : error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string netnsPath_;
  std::vector<uint32_t> marks_;
  std::unique_ptr<QueueError> failure_;
};

// deleteConntrackByMarks(netnsPath | undefined, marks: Uint32Array) → Promise<void>
Napi::Value DeleteConntrack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netnsPath = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, "deleteConntrackByMarks needs the marks as a Uint32Array");
  }
  Napi::Uint32Array marks = info[1].As<Napi::Uint32Array>();
  auto* worker = new ConntrackDeleteWorker(env, netnsPath,
                                           std::vector<uint32_t>(marks.Data(), marks.Data() + marks.ElementLength()));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object TableLayout(Napi::Env env) {
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("magic", Napi::Number::New(env, kTableMagic));
  layout.Set("wordGeneration", Napi::Number::New(env, kWordGeneration));
  layout.Set("wordSeed", Napi::Number::New(env, kWordSeed));
  layout.Set("wordCapacity", Napi::Number::New(env, kWordCapacity));
  layout.Set("wordSize0", Napi::Number::New(env, kWordSize0));
  layout.Set("wordMaxTargets", Napi::Number::New(env, kWordMaxTargets));
  layout.Set("wordReaderCount", Napi::Number::New(env, kWordReaderCount));
  layout.Set("wordFirstReader", Napi::Number::New(env, kWordFirstReader));
  layout.Set("maxReaders", Napi::Number::New(env, kMaxReaders));
  layout.Set("entriesOffset", Napi::Number::New(env, static_cast<double>(kEntriesOffset)));
  return layout;
}

}  // namespace
}  // namespace meridio

Napi::Object InitMeridioNfqueue(Napi::Env env, Napi::Object exports) {
  using namespace meridio;
  exports.Set("NfQueueHandle", NfQueueHandle::Define(env));
  exports.Set("hashPacket", Napi::Function::New(env, HashPacket, "hashPacket"));
  exports.Set("lookupPacket", Napi::Function::New(env, LookupPacket, "lookupPacket"));
  exports.Set("scanTable", Napi::Function::New(env, ScanTable, "scanTable"));
  exports.Set("deleteConntrackByMarks", Napi::Function::New(env, DeleteConntrack, "deleteConntrackByMarks"));
  exports.Set("tableLayout", TableLayout(env));
  return exports;
}

NODE_API_MODULE(meridio_nfqueue, InitMeridioNfqueue)
