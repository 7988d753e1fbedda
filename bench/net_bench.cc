// The floor of the network row of `make bench` (bench/net_bench.sh): a bare gRPC stream
// of the service bbrun speaks (bb.wire.Transport), carrying the same encoded envelopes,
// with no node, no admission and no scheduler.
//
//   bb_net_bench --serve PORT [KEY.pem]              acks every frame DELIVERED until killed
//   bb_net_bench --send ADDR N WINDOW BYTES [KEY.pem PEER]
//                     streams N frames of BYTES (≤ WINDOW unacked) to ADDR, prints
//                     {"msgs_per_s", "p50_us", "p99_us"}
// With key files both ends speak bbrun's mutual TLS (bb/net/security.h): the server
// proves its key's PeerId, the sender proves its own and checks that the server's is PEER.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bb/net/security.h"
#include "bb/transport.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

class Echo final : public bb::wire::Transport::Service {
  grpc::Status Exchange(grpc::ServerContext* context,
                        grpc::ServerReaderWriter<bb::wire::Ack, bb::wire::Frame>* stream) override {
    context->AddInitialMetadata("bb-max-envelope-bytes", "1048576");
    stream->SendInitialMetadata();
    bb::wire::Frame frame;
    bb::wire::Ack ack;
    while (stream->Read(&frame)) {
      ack.set_seq(frame.seq());
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }
};

// Plaintext without a key file, else mutual TLS with it.
bb::net::Security security(const std::string& key_file) {
  if (key_file.empty()) return bb::net::insecure_security();
  auto made = bb::net::make_security(bb::net::kSecurityTls, key_file);
  if (!made) {
    std::fprintf(stderr, "bb_net_bench: %s\n", made.error().c_str());
    std::exit(2);
  }
  return std::move(*made);
}

int serve(const std::string& port, const std::string& key_file) {
  Echo service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + port, security(key_file).server);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  server->Wait();
  return 0;
}

int send(const std::string& address, long n, long window, long bytes, const std::string& key_file,
         const std::string& peer) {
  const bb::net::Security mine = security(key_file);
  auto dialed = bb::PeerId::from_text(peer.empty() ? "id:server" : peer);
  if (!dialed) {
    std::fprintf(stderr, "bb_net_bench: '%s' is not a PeerId\n", peer.c_str());
    return 2;
  }
  grpc::ChannelArguments args;
  if (mine.channel_arguments) mine.channel_arguments(args);
  auto channel = grpc::CreateCustomChannel(address, mine.channel(*dialed), args);
  auto stub = bb::wire::Transport::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Exchange(&context);
  stream->WaitForInitialMetadata();
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(n));
  std::vector<double> latency_us;
  latency_us.reserve(static_cast<std::size_t>(n));
  std::mutex mu;
  std::condition_variable room;
  long acked = 0;
  std::thread reader([&] {
    bb::wire::Ack ack;
    while (stream->Read(&ack)) {
      const auto now = Clock::now();
      std::lock_guard lock(mu);
      latency_us.push_back(std::chrono::duration<double, std::micro>(now - sent[ack.seq()]).count());
      ++acked;
      room.notify_one();
      if (acked == n) break;
    }
  });
  bb::wire::Frame frame;
  frame.set_envelope(std::string(static_cast<std::size_t>(bytes), 'x'));
  const auto start = Clock::now();
  for (long i = 0; i < n; ++i) {
    {
      std::unique_lock lock(mu);
      room.wait(lock, [&] { return i - acked < window; });
      sent[static_cast<std::size_t>(i)] = Clock::now();
    }
    frame.set_seq(static_cast<std::uint64_t>(i));
    if (!stream->Write(frame)) break;
  }
  stream->WritesDone();
  reader.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stream->Finish();
  std::sort(latency_us.begin(), latency_us.end());
  const auto pick = [&](double q) { return latency_us.empty() ? 0.0 : latency_us[static_cast<std::size_t>(q * (latency_us.size() - 1))]; };
  std::printf("{\"msgs_per_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f}\n", static_cast<double>(acked) / seconds,
              pick(0.50), pick(0.99));
  return acked == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if ((args.size() == 2 || args.size() == 3) && args[0] == "--serve") return serve(args[1], args.size() == 3 ? args[2] : "");
  if ((args.size() == 5 || args.size() == 7) && args[0] == "--send")
    return send(args[1], std::atol(args[2].c_str()), std::atol(args[3].c_str()), std::atol(args[4].c_str()),
                args.size() == 7 ? args[5] : "", args.size() == 7 ? args[6] : "");
  std::fprintf(stderr, "usage: bb_net_bench --serve PORT [KEY.pem] | --send ADDR N WINDOW BYTES [KEY.pem PEER]\n");
  return 2;
}
