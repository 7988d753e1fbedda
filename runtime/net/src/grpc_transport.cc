#include "bb/net/grpc_transport.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <set>
#include <thread>
#include <unordered_set>

#include <grpcpp/create_channel.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>
#include <spdlog/spdlog.h>

#include "bb/net/grpc_log.h"
#include "bb/transport.grpc.pb.h"

namespace bb::net {

using runtime::AttemptId;
using runtime::OutcomeKind;

namespace {

// Acknowledgements are small: a hostile receiver cannot make a sender allocate more.
constexpr int kMaxAckBytes = 64 * 1024;
// What a sender keeps of a receiver's refusal (its words are untrusted).
constexpr std::size_t kMaxReasonBytes = 64;
constexpr std::size_t kMaxDetailBytes = 512;
// gRPC's reconnect backoff stays short: the node's own backoff decides when to retry.
// (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS stays at its default: gRPC uses it as the connect
// timeout too, and a handshake across a slow network needs its time.)
constexpr int kReconnectBackoffMs = 100;
// A stopping node sends the acknowledgements it owes; a sender that does not read them
// holds it up this long at most.
constexpr std::int64_t kAckDrainNs = 200'000'000;
constexpr int kMaxReconnectBackoffMs = 1000;

int clamp_int(std::size_t n) { return static_cast<int>(std::min<std::size_t>(n, INT_MAX)); }

std::string_view state_label(grpc_connectivity_state state) {
  switch (state) {
    case GRPC_CHANNEL_IDLE: return "idle";
    case GRPC_CHANNEL_CONNECTING: return "connecting";
    case GRPC_CHANNEL_READY: return "ready";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "transient_failure";
    case GRPC_CHANNEL_SHUTDOWN: return "shutdown";
  }
  return "unknown";
}

std::string status_label(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE: return "unavailable";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "deadline_exceeded";
    case grpc::StatusCode::UNAUTHENTICATED: return "unauthenticated";
    case grpc::StatusCode::PERMISSION_DENIED: return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "oversized";
    case grpc::StatusCode::CANCELLED: return "cancelled";
    case grpc::StatusCode::UNIMPLEMENTED: return "unimplemented";
    case grpc::StatusCode::OK: return "stream_closed";
    default: return "stream_failed";
  }
}

std::string truncated(const std::string& text, std::size_t max) {
  return text.size() <= max ? text : text.substr(0, max) + "…";
}

}  // namespace

// ---- One destination ----------------------------------------------------------------------

class GrpcTransport::Link {
 public:
  Link(GrpcTransport& owner, PeerAddress address)
      : owner_(owner), address_(std::move(address)), text_(address_.peer.to_text()) {
    worker_ = std::thread([this] { run(); });
  }
  ~Link() { close(); }

  const PeerAddress& address() const { return address_; }
  const std::string& text() const { return text_; }

  // The node's thread.
  void enqueue(AttemptId attempt, std::string bytes) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back(attempt, std::move(bytes));
    }
    wake_.notify_one();
  }

  // The node's thread: stops the worker (in-flight attempts are the owner's to end).
  void close() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      if (context_) context_->TryCancel();
    }
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  std::string state() const {
    std::lock_guard lock(mu_);
    return channel_ ? std::string(state_label(channel_->GetState(false))) : std::string("idle");
  }

  // Counted on the node's thread.
  std::array<std::uint64_t, runtime::kOutcomeKinds> outcomes{};
  std::array<std::vector<std::pair<std::string, std::uint64_t>>, runtime::kOutcomeKinds> reasons;
  // Attempts in pending_ (guarded by the owner's mu_).
  std::size_t in_flight = 0;
  // Counted on the network threads.
  std::atomic<std::uint64_t> bytes_sent{0};
  std::atomic<std::uint64_t> bytes_acked{0};

 private:
  using Stream = grpc::ClientReaderWriter<bb::wire::Frame, bb::wire::Ack>;
  using Batch = std::deque<std::pair<AttemptId, std::string>>;

  void run() {
    const auto idle = std::chrono::nanoseconds(owner_.config_.idle_close_ns);
    std::unique_lock lock(mu_);
    for (;;) {
      const bool woken = wake_.wait_for(lock, idle, [this] { return closing_ || broken_ || !queue_.empty(); });
      if (closing_) break;
      if (broken_ || (!woken && stream_ && outstanding_.empty())) {
        lock.unlock();
        teardown();
        lock.lock();
        continue;
      }
      if (!woken) continue;
      Batch batch;
      batch.swap(queue_);
      lock.unlock();
      write(batch);
      lock.lock();
      // Frames a broken stream did not take go first on the next one.
      while (!batch.empty()) {
        queue_.push_front(std::move(batch.back()));
        batch.pop_back();
      }
    }
    lock.unlock();
    teardown();
  }

  void write(Batch& batch) {
    if (!stream_ && !open()) {
      std::lock_guard lock(mu_);
      if (closing_) return;  // shutdown() ends them
      for (auto& [attempt, bytes] : batch) owner_.resolve(attempt, failure_);
      batch.clear();
      return;
    }
    while (!batch.empty()) {
      auto& [attempt, bytes] = batch.front();
      if (bytes.size() > remote_limit_) {
        owner_.resolve(attempt, Ending{OutcomeKind::kRejected, 0, std::string(ir::to_string(ir::EnvelopeReason::kOversized)),
                                       std::to_string(bytes.size()) + " bytes, over " + text_ + "'s limit of " +
                                           std::to_string(remote_limit_) + " (refused before sending)"});
        batch.pop_front();
        continue;
      }
      {
        std::lock_guard lock(mu_);
        if (broken_ || closing_) return;
        outstanding_.insert(attempt);
      }
      frame_.set_seq(attempt);
      frame_.set_envelope(std::move(bytes));
      const std::size_t size = frame_.ByteSizeLong();
      batch.pop_front();
      // Frames with more behind them are buffered: gRPC sends them with the last one.
      grpc::WriteOptions options;
      if (!batch.empty()) options.set_buffer_hint();
      if (!stream_->Write(frame_, options)) {
        std::lock_guard lock(mu_);
        broken_ = true;  // the reader sees the end too; teardown() ends what was written
        return;
      }
      bytes_sent.fetch_add(size, std::memory_order_relaxed);
    }
  }

  // Opens the stream and reads the receiver's limit; false (and failure_) when it cannot.
  bool open() {
    std::shared_ptr<grpc::Channel> channel;
    {
      std::lock_guard lock(mu_);
      if (closing_) return false;
      if (!channel_) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kReconnectBackoffMs);
        args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a new channel is a new connection
        args.SetMaxReceiveMessageSize(kMaxAckBytes);
        args.SetMaxSendMessageSize(clamp_int(owner_.config_.limits.max_bytes + kFrameOverhead));
        if (owner_.config_.security.channel_arguments) owner_.config_.security.channel_arguments(args);
        channel_ = grpc::CreateCustomChannel(address_.address, owner_.config_.security.channel(address_.peer), args);
        stub_ = bb::wire::Transport::NewStub(channel_);
      }
      context_ = std::make_unique<grpc::ClientContext>();
      context_->set_wait_for_ready(false);
    }
    stream_ = stub_->Exchange(context_.get());
    stream_->WaitForInitialMetadata();
    const auto& metadata = context_->GetServerInitialMetadata();
    const auto it = metadata.find(kMaxEnvelopeBytesKey);
    std::size_t limit = 0;
    if (it != metadata.end()) {
      const std::string text(it->second.data(), it->second.size());
      limit = static_cast<std::size_t>(std::strtoull(text.c_str(), nullptr, 10));
    }
    if (limit == 0) {
      const grpc::Status status = stream_->Finish();
      failure_ = ending_for(status.ok() ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "not a bb node") : status);
      drop_stream(true);
      return false;
    }
    remote_limit_ = limit;
    {
      std::lock_guard lock(mu_);
      broken_ = false;
    }
    reader_ = std::thread([this] { read(); });
    return true;
  }

  void read() {
    bb::wire::Ack ack;
    while (stream_->Read(&ack)) {
      bytes_acked.fetch_add(ack.ByteSizeLong(), std::memory_order_relaxed);
      {
        std::lock_guard lock(mu_);
        if (outstanding_.erase(ack.seq()) == 0) continue;  // not an attempt of this stream: ignored
      }
      Ending ending{OutcomeKind::kDelivered};
      if (ack.result() == bb::wire::Ack::REJECTED) {
        ending = Ending{OutcomeKind::kRejected, 0, truncated(ack.reason(), kMaxReasonBytes),
                        truncated(ack.detail(), kMaxDetailBytes)};
      } else if (ack.result() == bb::wire::Ack::ADVISED) {
        ending = Ending{OutcomeKind::kAdvised, std::max<std::int64_t>(ack.pushback_ns(), 0), "overloaded", {}};
      }
      owner_.resolve(ack.seq(), std::move(ending));
    }
    {
      std::lock_guard lock(mu_);
      broken_ = true;
    }
    wake_.notify_all();
  }

  // Ends the stream: what it carried and no acknowledgement answered ends by its status.
  void teardown() {
    if (!stream_) return;
    {
      std::lock_guard lock(mu_);
      if (context_) context_->TryCancel();
    }
    if (reader_.joinable()) reader_.join();
    const grpc::Status status = stream_->Finish();
    std::vector<AttemptId> left;
    bool closing;
    {
      std::lock_guard lock(mu_);
      left.assign(outstanding_.begin(), outstanding_.end());
      outstanding_.clear();
      closing = closing_;
    }
    // An idle close cancels a stream that carries nothing; closing leaves the rest to
    // shutdown(), which ends them as `timeout`.
    if (!closing && !left.empty()) {
      std::sort(left.begin(), left.end());
      const Ending ending = ending_for(status);
      for (const AttemptId a : left) owner_.resolve(a, ending);
    }
    drop_stream(!left.empty() || (status.error_code() != grpc::StatusCode::CANCELLED && !status.ok()));
  }

  void drop_stream(bool drop_channel) {
    stream_.reset();
    std::lock_guard lock(mu_);
    context_.reset();
    broken_ = false;
    if (drop_channel) {  // a failed connection is made afresh for the next send
      stub_.reset();
      channel_.reset();
    }
  }

  static Ending ending_for(const grpc::Status& status) {
    const OutcomeKind kind = status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ? OutcomeKind::kTimeout
                             : status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ? OutcomeKind::kRejected
                                                                                            : OutcomeKind::kUnreachable;
    return Ending{kind, 0, status_label(status.error_code()), truncated(status.error_message(), kMaxDetailBytes)};
  }

  GrpcTransport& owner_;
  const PeerAddress address_;
  const std::string text_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  Batch queue_;
  bool closing_ = false;
  bool broken_ = false;
  std::unordered_set<AttemptId> outstanding_;  // written on the current stream, not acknowledged
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<bb::wire::Transport::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  // The worker's alone (the reader reads through it while it lives).
  std::unique_ptr<Stream> stream_;
  std::size_t remote_limit_ = 0;
  bb::wire::Frame frame_;
  Ending failure_{OutcomeKind::kUnreachable};
  std::thread reader_;
  std::thread worker_;
};

// ---- The server --------------------------------------------------------------------------

class GrpcTransport::Service final : public bb::wire::Transport::Service {
 public:
  explicit Service(GrpcTransport& owner) : owner_(owner) {}

  grpc::Status Exchange(grpc::ServerContext* context,
                        grpc::ServerReaderWriter<bb::wire::Ack, bb::wire::Frame>* stream) override {
    const GrpcTransportConfig& config = owner_.config_;
    const std::string sender = config.security.authenticated_sender(*context);
    if (config.security.authenticates() && sender.empty())
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the caller proved no PeerId");
    const runtime::SenderAuth auth = sender.empty() ? runtime::SenderAuth::kClaimed : runtime::SenderAuth::kAuthenticated;
    context->AddInitialMetadata(kMaxEnvelopeBytesKey, std::to_string(config.limits.max_bytes));
    stream->SendInitialMetadata();

    // This thread reads and admits; the acknowledgements go out on their own thread, so
    // that those of frames read back to back leave together.
    Acks acks(*context, *stream);
    const Registration registration(*this, acks);
    if (!registration.open) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping");
    const runtime::AdmissionPolicy policy{config.limits, config.self.bytes(), sender, &config.accepts};
    bb::wire::Frame frame;
    while (stream->Read(&frame)) {
      owner_.bytes_received_.fetch_add(frame.ByteSizeLong(), std::memory_order_relaxed);
      bb::wire::Ack ack;
      ack.set_seq(frame.seq());
      auto envelope = std::make_unique<bb::Envelope>();
      auto admitted = runtime::admit(frame.envelope(), policy, *envelope);
      frame.Clear();
      // Held while the envelope is handed over and its ack queued: a stopping node
      // either takes a frame and acknowledges it, or takes neither.
      auto held = acks.hold();
      if (!held) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the node is stopping");
      if (!admitted) {
        {
          std::lock_guard lock(owner_.mu_);
          owner_.refusals_.record(admitted.error());
        }
        ack.set_result(bb::wire::Ack::REJECTED);
        ack.set_reason(std::string(admitted.error().label()));
        ack.set_detail(std::move(admitted.error().detail));
      } else if (!owner_.scheduler_.try_post([endpoint = &owner_.endpoint_, e = std::move(envelope), auth] {
                   endpoint->on_envelope(*e, auth);
                 })) {
        ack.set_result(bb::wire::Ack::ADVISED);
        ack.set_pushback_ns(config.pushback_ns);
      } else {
        ack.set_result(bb::wire::Ack::DELIVERED);
      }
      acks.push(std::move(ack), held);
    }
    return grpc::Status::OK;
  }

  // The node's thread: new streams are refused, and every open one sends the
  // acknowledgements it owes (waiting up to `drain` for a sender that does not read
  // them), then ends.
  void close(std::chrono::nanoseconds drain) {
    std::lock_guard lock(mu_);
    closing_ = true;
    const auto deadline = std::chrono::steady_clock::now() + drain;
    for (Acks* acks : live_) acks->close(deadline);
  }

 private:
  // The writer of one stream's acknowledgements: what waits when it wakes goes out in one
  // write (gRPC buffers all but the last). Closing, or a failed write, cancels the stream
  // (which ends the reader's Read too) once what is owed is written.
  class Acks {
   public:
    Acks(grpc::ServerContext& context, grpc::ServerReaderWriter<bb::wire::Ack, bb::wire::Frame>& stream)
        : context_(context), stream_(stream), writer_([this] { run(); }) {}
    ~Acks() {
      {
        std::lock_guard lock(mu_);
        ending_ = true;
      }
      wake_.notify_all();
      writer_.join();
    }
    // Locked while the stream takes frames; empty once it is closing or failed.
    std::unique_lock<std::mutex> hold() {
      std::unique_lock lock(mu_);
      if (closing_ || failed_) lock.unlock();
      return lock;
    }
    void push(bb::wire::Ack ack, std::unique_lock<std::mutex>& held) {
      const bool idle = waiting_.empty();
      waiting_.push_back(std::move(ack));
      held.unlock();
      if (idle) wake_.notify_all();
    }
    // Takes no more frames, writes what is owed (until `deadline`), then cancels.
    void close(std::chrono::steady_clock::time_point deadline) {
      std::unique_lock lock(mu_);
      closing_ = true;
      wake_.notify_all();
      if (!wake_.wait_until(lock, deadline, [this] { return flushed_; })) context_.TryCancel();
    }

   private:
    void run() {
      std::vector<bb::wire::Ack> batch;
      std::unique_lock lock(mu_);
      for (;;) {
        wake_.wait(lock, [this] { return ending_ || closing_ || !waiting_.empty(); });
        if (waiting_.empty()) break;  // ending or closing, and everything written
        batch.swap(waiting_);
        lock.unlock();
        bool ok = true;
        for (std::size_t i = 0; i < batch.size() && ok; ++i) {
          grpc::WriteOptions options;
          if (i + 1 < batch.size()) options.set_buffer_hint();
          ok = stream_.Write(batch[i], options);
        }
        batch.clear();
        lock.lock();
        if (!ok) {
          failed_ = true;
          waiting_.clear();
          break;
        }
      }
      flushed_ = true;
      wake_.notify_all();
      if (closing_ || failed_) context_.TryCancel();
    }

    grpc::ServerContext& context_;
    grpc::ServerReaderWriter<bb::wire::Ack, bb::wire::Frame>& stream_;
    std::mutex mu_;
    std::condition_variable wake_;
    std::vector<bb::wire::Ack> waiting_;
    bool ending_ = false;   // the reader is done
    bool closing_ = false;  // the node is stopping
    bool failed_ = false;   // a write failed
    bool flushed_ = false;  // the writer is done
    std::thread writer_;    // last: starts once the rest is built
  };

  // A stream's entry in live_ for as long as its handler runs.
  struct Registration {
    Registration(Service& service, Acks& acks) : service(service), acks(acks) {
      std::lock_guard lock(service.mu_);
      open = !service.closing_;
      if (open) service.live_.insert(&acks);
    }
    ~Registration() {
      std::lock_guard lock(service.mu_);
      service.live_.erase(&acks);
    }
    Service& service;
    Acks& acks;
    bool open = false;
  };

  GrpcTransport& owner_;
  std::mutex mu_;  // guards live_ and closing_
  std::set<Acks*> live_;
  bool closing_ = false;
};

// ---- The transport -------------------------------------------------------------------------

GrpcTransport::GrpcTransport(GrpcTransportConfig config, runtime::Scheduler& scheduler,
                             runtime::TransportEndpoint& endpoint)
    : config_(std::move(config)), scheduler_(scheduler), endpoint_(endpoint) {}

Expected<std::unique_ptr<GrpcTransport>, std::string> GrpcTransport::start(GrpcTransportConfig config,
                                                                           runtime::Scheduler& scheduler,
                                                                           runtime::TransportEndpoint& endpoint) {
  if (config.limits.max_bytes > ir::kMaxEnvelopeBytesLimit)
    return unexpected("the envelope limit of " + std::to_string(config.limits.max_bytes) +
                      " bytes is over the maximum of " + std::to_string(ir::kMaxEnvelopeBytesLimit) + " (1 GiB)");
  if (config.max_in_flight == 0) return unexpected("the limit of sends in flight per destination must be at least 1");
  route_grpc_logs();
  std::unique_ptr<GrpcTransport> t(new GrpcTransport(std::move(config), scheduler, endpoint));
  t->service_ = std::make_unique<Service>(*t);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(t->config_.listen, t->config_.security.server, &t->port_);
  builder.RegisterService(t->service_.get());
  builder.SetMaxReceiveMessageSize(clamp_int(t->config_.limits.max_bytes + kFrameOverhead));
  builder.SetMaxSendMessageSize(kMaxAckBytes);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);  // a port in use is an error, not shared
  t->server_ = builder.BuildAndStart();
  if (!t->server_ || t->port_ == 0)
    return unexpected("cannot listen on " + t->config_.listen + " [hint: is the port in use, or the address not this machine's?]");
  for (const PeerAddress& p : t->config_.peers) t->add_peer(p);
  return t;
}

void GrpcTransport::add_peer(const PeerAddress& peer) {
  if (peer.peer == config_.self || links_.contains(peer.peer.bytes())) return;
  links_.emplace(peer.peer.bytes(), std::make_unique<Link>(*this, peer));
}

GrpcTransport::~GrpcTransport() {
  if (server_ && accepting_) server_->Shutdown(std::chrono::system_clock::now());
  links_.clear();  // joins the workers
}

void GrpcTransport::send(AttemptId attempt, const bb::Envelope& envelope) {
  if (stopped_) {
    finish(attempt, nullptr, 0, Ending{OutcomeKind::kUnreachable, 0, "stopped", "the node is shutting down"});
    return;
  }
  const auto it = links_.find(envelope.dst_peer());
  if (it == links_.end()) {
    auto peer = PeerId::from_bytes(envelope.dst_peer());
    finish(attempt, nullptr, 0,
           Ending{OutcomeKind::kUnreachable, 0, "no_address",
                  (peer ? peer->to_text() : std::string("the destination")) + " has no address (add it to the peers file)"});
    return;
  }
  Link* link = it->second.get();
  bool full;
  {
    std::lock_guard lock(mu_);
    full = link->in_flight >= config_.max_in_flight;
  }
  if (full) {
    finish(attempt, link, 0,
           Ending{OutcomeKind::kUnreachable, 0, "too_many_in_flight",
                  std::to_string(config_.max_in_flight) + " sends to " + link->text() +
                      " in flight already (the limit: [send] max_in_flight, --send-max-in-flight)"});
    return;
  }
  // Measured before it is encoded: an envelope over this node's limit is never copied.
  const std::size_t size = envelope.ByteSizeLong();
  if (size > config_.limits.max_bytes) {
    finish(attempt, link, 0,
           Ending{OutcomeKind::kRejected, 0, std::string(ir::to_string(ir::EnvelopeReason::kOversized)),
                  std::to_string(size) + " bytes, over this node's envelope limit of " +
                      std::to_string(config_.limits.max_bytes) + " (refused before sending) [hint: --max-envelope-bytes]"});
    return;
  }
  std::string bytes = ir::encode_envelope(envelope);
  const std::int64_t budget = envelope.deadline_ns() > 0 ? envelope.deadline_ns() : config_.send_timeout_ns;
  const runtime::EventId timer =
      scheduler_.after(budget, runtime::EventClass::kTimer, [this, attempt] { expire(attempt); });
  {
    std::lock_guard lock(mu_);
    pending_[attempt] = Pending{link, timer};
    ++link->in_flight;
  }
  link->enqueue(attempt, std::move(bytes));
}

bool GrpcTransport::take(AttemptId attempt, Pending& out) {
  const auto it = pending_.find(attempt);
  if (it == pending_.end()) return false;
  out = it->second;
  pending_.erase(it);
  --out.link->in_flight;
  return true;
}

bool GrpcTransport::resolve(AttemptId attempt, Ending ending) {
  bool first;
  {
    std::lock_guard lock(mu_);
    Pending p;
    if (!take(attempt, p)) return false;
    first = ended_.empty();
    ended_.push_back(Ended{attempt, p, std::move(ending)});
  }
  // One hand-over carries every outcome that ends before the node's thread takes it.
  if (first) scheduler_.post([this] { finish_ended(); });
  return true;
}

void GrpcTransport::finish_ended() {
  {
    std::lock_guard lock(mu_);
    finishing_.swap(ended_);
  }
  for (const Ended& e : finishing_) finish(e.attempt, e.pending.link, e.pending.timer, e.ending);
  finishing_.clear();
}

void GrpcTransport::expire(AttemptId attempt) {
  Pending p;
  {
    std::lock_guard lock(mu_);
    if (!take(attempt, p)) return;
  }
  finish(attempt, p.link, 0, Ending{OutcomeKind::kTimeout, 0, "deadline", "no acknowledgement by the deadline"});
}

void GrpcTransport::finish(AttemptId attempt, Link* link, runtime::EventId timer, const Ending& e) {
  if (timer != 0) scheduler_.cancel(timer);
  if (link != nullptr) {
    ++link->outcomes[static_cast<std::size_t>(e.kind)];
    if (!e.reason.empty()) {
      auto& by = link->reasons[static_cast<std::size_t>(e.kind)];
      auto it = std::find_if(by.begin(), by.end(), [&e](const auto& c) { return c.first == e.reason; });
      if (it == by.end())
        by.emplace_back(e.reason, 1);
      else
        ++it->second;
    }
  }
  endpoint_.on_outcome(attempt, runtime::Outcome{e.kind, e.pushback_ns, e.reason, e.detail});
}

void GrpcTransport::stop_accepting() {
  if (!accepting_) return;
  accepting_ = false;
  service_->close(std::chrono::nanoseconds(kAckDrainNs));
  server_->Shutdown(std::chrono::system_clock::now());
}

std::size_t GrpcTransport::in_flight() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

void GrpcTransport::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  stop_accepting();
  for (auto& [bytes, link] : links_) link->close();
  std::vector<std::pair<AttemptId, Pending>> left;
  {
    std::lock_guard lock(mu_);
    left.assign(pending_.begin(), pending_.end());
    pending_.clear();
    for (auto& [bytes, link] : links_) link->in_flight = 0;
  }
  std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [attempt, p] : left)
    finish(attempt, p.link, p.timer,
           Ending{OutcomeKind::kTimeout, 0, "stopped", "the node stopped before an acknowledgement came"});
}

std::vector<runtime::LinkReport> GrpcTransport::links() const {
  std::vector<runtime::LinkReport> out;
  for (const auto& [bytes, link] : links_) {
    runtime::LinkReport r;
    r.peer = link->text();
    r.address = link->address().address;
    r.state = stopped_ ? "shutdown" : link->state();
    r.bytes_sent = link->bytes_sent.load(std::memory_order_relaxed);
    r.bytes_received = link->bytes_acked.load(std::memory_order_relaxed);
    r.outcomes = link->outcomes;
    r.reasons = link->reasons;
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.peer < b.peer; });
  return out;
}

runtime::AdmissionCounts GrpcTransport::refusals() const {
  std::lock_guard lock(mu_);
  return refusals_;
}

}  // namespace bb::net
