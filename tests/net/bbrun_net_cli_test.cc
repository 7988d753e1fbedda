// bbrun on the real network, end to end: separate processes on 127.0.0.1 (free ports,
// every wait bounded, every child killed at the end). The demo graphs (examples/demo)
// are compiled with bbc: alice ticks every 100 ms to bob, carol and dave.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace bb {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kDemo = fs::path(BB_SOURCE_DIR) / "examples" / "demo";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A port nobody listens on right now (the kernel's pick for an ephemeral bind).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A bbrun child with stderr in a file; killed (SIGKILL) if still running at the end.
class Child {
 public:
  Child(const std::vector<std::string>& args, const fs::path& err) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      std::vector<char*> argv;
      std::string bbrun = BBRUN_PATH;
      argv.push_back(bbrun.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(BBRUN_PATH, argv.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && code_ == kRunning) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The exit code, -signal if killed, kRunning if still running after `limit`.
  int wait(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (code_ == kRunning) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > end) break;
      std::this_thread::sleep_for(10ms);
    }
    return code_;
  }
  static constexpr int kRunning = 1000;

 private:
  pid_t pid_ = -1;
  int code_ = kRunning;
};

// Waits until `file` contains `text` (bounded).
bool wait_for_text(const fs::path& file, const std::string& text, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (slurp(file).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The `link` records of a JSONL trace for one destination, as "state" or "state(reason)".
std::vector<std::string> link_story(const std::string& trace, const std::string& peer) {
  std::vector<std::string> out;
  std::istringstream lines(trace);
  const std::regex record("\"event\":\"link\",\"state\":\"([a-z_]+)\"(,\"reason\":\"([a-z_]+)\")?,\"peer\":\"" +
                          peer + "\"\\}");
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_search(line, m, record)) out.push_back(m[2].matched ? m[1].str() + "(" + m[3].str() + ")" : m[1].str());
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

// The number after "key": in a JSON object that follows `scope` in `json`.
std::int64_t json_number(const std::string& json, const std::string& scope, const std::string& key) {
  const auto at = json.find(scope);
  if (at == std::string::npos) return -1;
  std::smatch m;
  const std::string rest = json.substr(at);
  if (!std::regex_search(rest, m, std::regex("\"" + key + "\": (\\d+)"))) return -1;
  return std::stoll(m[1]);
}

class BbrunNet : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bbrun_net_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const char* graph : {"alice", "receiver"}) {
      const std::string cmd = std::string(BBC_PATH) + " compile " + (kDemo / (std::string(graph) + ".onnxtxt")).string() +
                              " -o " + path(std::string(graph) + ".bb") + " 2>" + path("bbc.err");
      ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "bbc.err");
    }
    for (const char* name : {"alice", "bob", "carol"}) ports_[name] = free_port();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string address(const std::string& name) { return "127.0.0.1:" + std::to_string(ports_[name]); }

  // alice, bob and carol with addresses (dave has none: alice's sends to him are unreachable).
  void write_deploy(const std::string& security = "insecure") {
    std::ofstream out(dir_ / "deploy.toml");
    out << "[transport]\nsecurity = \"" << security << "\"\n\n"
        << "[backoff]\nbase = \"20ms\"\ncap = \"200ms\"\njitter = \"none\"\n\n[send]\ntimeout = \"300ms\"\n\n";
    for (const char* name : {"alice", "bob", "carol"})
      out << "[[node]]\npeer = \"id:" << name << "\"\ngraph = \"" << (std::string(name) == "alice" ? "alice" : "receiver")
          << ".bb\"\naddress = \"" << address(name) << "\"\n\n";
  }
  // The deployment written by write_deploy() with its first `from` replaced by `to`.
  void write_deploy_with(const std::string& from, const std::string& to) {
    write_deploy();
    std::string text = slurp(dir_ / "deploy.toml");
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    std::ofstream(dir_ / "deploy.toml") << text;
  }
  std::vector<std::string> node(const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{"--deploy", path("deploy.toml"), "--node", "id:" + name};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  fs::path dir_;
  std::map<std::string, int> ports_;
};

TEST_F(BbrunNet, ThreeProcessesOneKilledAndRestartedTrafficResumesAndEveryAttemptHasOneOutcome) {
  write_deploy();
  Child bob(node("bob", {"--duration", "20s"}), dir_ / "bob.err");
  Child carol(node("carol", {"--duration", "20s"}), dir_ / "carol.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "carol.err", "listening on")) << slurp(dir_ / "carol.err");
  Child alice(node("alice", {"--duration", "5s", "--metrics", path("alice.json"), "--trace", path("alice.jsonl")}),
              dir_ / "alice.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "", 1000ms));
  std::this_thread::sleep_for(1000ms);
  bob.signal(SIGKILL);  // no goodbye: alice's sends fail
  EXPECT_EQ(bob.wait(2000ms), -SIGKILL);
  // Down long enough for cooldowns longer than alice's 100 ms tick: sends are held.
  ASSERT_TRUE(wait_for_text(dir_ / "alice.err", "id:alice -> id:bob: unreachable, failure 5")) << slurp(dir_ / "alice.err");
  Child bob2(node("bob", {"--duration", "20s", "--metrics", path("bob2.json")}), dir_ / "bob2.err");  // a new incarnation
  ASSERT_TRUE(wait_for_text(dir_ / "bob2.err", "listening on")) << slurp(dir_ / "bob2.err");

  ASSERT_EQ(alice.wait(10000ms), 0) << slurp(dir_ / "alice.err");
  carol.signal(SIGTERM);  // mid-run: a clean stop with the summary
  EXPECT_EQ(carol.wait(5000ms), 0);
  bob2.signal(SIGINT);
  EXPECT_EQ(bob2.wait(5000ms), 0);

  const std::string log = slurp(dir_ / "alice.err");
  // The feedback loop: failures with growing cooldowns, sends held, then the recovery.
  const std::vector<std::string> story{"id:alice -> id:bob: unreachable, failure 1: cooldown 20ms",
                                       "id:alice -> id:bob: unreachable, failure 2: cooldown 40ms",
                                       "id:alice -> id:bob: unreachable, failure 5: cooldown 200ms",
                                       "id:alice -> id:bob: delivered after "};
  std::size_t at = 0;
  for (const auto& line : story) {
    const auto found = log.find(line, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << line << "\n" << log;
    at = found;
  }
  EXPECT_TRUE(std::regex_search(log, std::regex("id:alice -> id:bob: [^\n]*\\(\\d+ send\\(s\\) held since the last outcome\\)")))
      << "the cooldown held sends to bob\n" << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("id:alice -> id:bob +delivered \\d+, unreachable \\d+, held \\d+ \\(cooldown\\)")))
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex("id:alice -> id:carol +delivered \\d+\n"))) << log;
  // Exactly one outcome per attempt: in the trace and in the metrics.
  const std::string trace = slurp(dir_ / "alice.jsonl");
  const std::size_t attempts = count(trace, "\"event\":\"attempt\"");
  EXPECT_GT(attempts, 50u);
  EXPECT_EQ(count(trace, "\"event\":\"outcome\""), attempts);
  const std::string metrics = slurp(dir_ / "alice.json");
  std::int64_t sum = 0;
  for (const char* kind : {"delivered", "unreachable", "timeout", "rejected", "advised"})
    sum += json_number(metrics, "\"attempts\"", kind);
  EXPECT_EQ(sum, static_cast<std::int64_t>(attempts));
  EXPECT_GT(json_number(metrics, "\"BackoffGateTx\"", "cooldown"), 0);
  // Per destination: the link to bob carried bytes and saw both kinds of outcome.
  EXPECT_GT(json_number(metrics, "\"peer\": \"id:bob\", \"address\"", "bytes_sent"), 0) << metrics;
  EXPECT_GT(json_number(metrics, "\"peer\": \"id:bob\", \"address\"", "unreachable"), 0) << metrics;
  // The connections' story in the trace (`link` records): carol's stream opened once and
  // lasted; bob's broke when he was killed, failed while he was down, and opened again
  // to the new bob. No record names an address.
  EXPECT_EQ(joined(link_story(trace, "id:carol")), "connecting ready shutdown");
  const std::string bob_story = joined(link_story(trace, "id:bob"));
  EXPECT_TRUE(std::regex_match(bob_story, std::regex("connecting ready transient_failure\\([a-z_]+\\)"
                                                     "( connecting transient_failure\\([a-z_]+\\))+ connecting ready shutdown")))
      << bob_story;
  EXPECT_NE(bob_story.find("transient_failure(unavailable)"), std::string::npos) << bob_story;
  std::istringstream lines(trace);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"event\":\"link\"") == std::string::npos) continue;
    EXPECT_NE(line.find("\"exec\":0,\"op\":\"\",\"op_type\":\"\""), std::string::npos) << line;
    EXPECT_EQ(line.find("127.0.0.1"), std::string::npos) << line;
  }
  // The new bob heard alice; carol stopped by SIGTERM printed her summary.
  EXPECT_GT(json_number(slurp(dir_ / "bob2.json"), "\"receives\"", "accepted"), 0);
  const std::string carol_log = slurp(dir_ / "carol.err");
  EXPECT_NE(carol_log.find("stopped by signal 15"), std::string::npos) << carol_log;
  EXPECT_NE(carol_log.find("== node id:carol"), std::string::npos) << carol_log;
}

TEST_F(BbrunNet, ARestartedSenderIsANewIncarnationItsSendsAreNotTakenForRepeats) {
  // alice runs twice against the same bob: her second process numbers its messages from
  // 1 again, and bob's DedupGateRx must take them as new (a new incarnation), not repeats.
  write_deploy();
  Child bob(node("bob", {"--duration", "20s", "--metrics", path("bob.json")}), dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  std::int64_t delivered = 0;
  for (const char* run : {"alice1", "alice2"}) {
    Child alice(node("alice", {"--duration", "600ms", "--metrics", path(std::string(run) + ".json")}),
                dir_ / (std::string(run) + ".err"));
    ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / (std::string(run) + ".err"));
    const std::int64_t n = json_number(slurp(dir_ / (std::string(run) + ".json")), "\"peer\": \"id:bob\", \"address\"",
                                       "delivered");
    EXPECT_GT(n, 2) << run;
    delivered += n;
  }
  bob.signal(SIGTERM);
  ASSERT_EQ(bob.wait(5000ms), 0) << slurp(dir_ / "bob.err");
  const std::string metrics = slurp(dir_ / "bob.json");
  EXPECT_EQ(json_number(metrics, "\"receives\"", "accepted"), delivered) << metrics;
  EXPECT_EQ(json_number(metrics, "\"receives\"", "duplicate"), -1) << "no drop as a repeat\n" << metrics;
}

TEST_F(BbrunNet, GarbageBytesAgainstTheListenerAreRefusedWithoutHarm) {
  write_deploy();
  Child bob(node("bob", {"--duration", "20s", "--metrics", path("bob.json")}), dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  for (const std::string& junk : {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::string(4096, '\xff'),
                                 std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string(64, '\0')}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(ports_["bob"]));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
    ::close(fd);
  }
  // Still serving: alice's ticks reach bob.
  Child alice(node("alice", {"--duration", "1s", "--metrics", path("alice.json")}), dir_ / "alice.err");
  ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / "alice.err");
  EXPECT_GT(json_number(slurp(dir_ / "alice.json"), "\"peer\": \"id:bob\", \"address\"", "delivered"), 0);
  bob.signal(SIGTERM);
  ASSERT_EQ(bob.wait(5000ms), 0) << slurp(dir_ / "bob.err");
  EXPECT_GT(json_number(slurp(dir_ / "bob.json"), "\"receives\"", "accepted"), 0);
}

TEST_F(BbrunNet, AnOversizedEnvelopeIsRejectedWithItsReason) {
  // bob accepts envelopes of at most 16 bytes: every tick is over the limit.
  std::ofstream(dir_ / "peers.toml") << "[[peer]]\nid = \"id:bob\"\naddress = \"" << address("bob") << "\"\n";
  Child bob({path("receiver.bb"), "--listen", address("bob"), "--peer", "id:bob", "--insecure", "--duration", "20s",
             "--max-envelope-bytes", "16"},
            dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  Child alice({path("alice.bb"), "--listen", address("alice"), "--peer", "id:alice", "--peers", path("peers.toml"),
               "--insecure", "--executions", "3", "--metrics", path("alice.json")},
              dir_ / "alice.err");
  ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / "alice.err");
  const std::string log = slurp(dir_ / "alice.err");
  EXPECT_NE(log.find("id:bob rejected a Send: oversized: "), std::string::npos) << log;
  const std::string metrics = slurp(dir_ / "alice.json");
  EXPECT_GE(json_number(metrics, "\"rejected_by\"", "oversized"), 1) << metrics;
  // Per destination too: the link to bob counts its rejections by reason.
  EXPECT_GE(json_number(metrics, "\"reasons\": {\"rejected\"", "oversized"), 1) << metrics;
  EXPECT_GE(json_number(metrics, "\"attempts\"", "rejected"), 1) << metrics;
  bob.signal(SIGTERM);
  EXPECT_EQ(bob.wait(5000ms), 0);
}

TEST_F(BbrunNet, FileErrorsNameTheFileLineAndKey) {
  write_deploy("plaintext");
  Child bad(node("alice", {}), dir_ / "bad.err");
  EXPECT_EQ(bad.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "bad.err").find("deploy.toml:2: transport.security: 'plaintext' is not a security mode"),
            std::string::npos)
      << slurp(dir_ / "bad.err");

  write_deploy("tls");  // the default: needs node keys
  Child tls(node("alice", {}), dir_ / "tls.err");
  EXPECT_EQ(tls.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "tls.err").find("--insecure"), std::string::npos) << slurp(dir_ / "tls.err");

  std::ofstream(dir_ / "peers.toml") << "[[peer]]\nid = \"id:bob\"\naddress = \"127.0.0.1\"\n";
  Child peers({path("alice.bb"), "--listen", address("alice"), "--peers", path("peers.toml"), "--insecure"},
              dir_ / "peers.err");
  EXPECT_EQ(peers.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "peers.err").find("peers.toml:3: peer[0].address: '127.0.0.1': expected host:port"),
            std::string::npos)
      << slurp(dir_ / "peers.err");

  // A [[node]]'s inputs are read as in --sim: a name its graph does not have is refused.
  write_deploy_with("graph = \"receiver.bb\"", "graph = \"receiver.bb\"\ninputs = { z = \"z.pb\" }");
  Child inputs(node("bob", {}), dir_ / "inputs.err");
  EXPECT_EQ(inputs.wait(5000ms), 2);
  EXPECT_TRUE(std::regex_search(slurp(dir_ / "inputs.err"),
                                std::regex("deploy.toml:\\d+: node\\[1\\].inputs.z: .*receiver.bb has no graph input 'z'")))
      << slurp(dir_ / "inputs.err");

  Child unknown({"--deploy", path("deploy.toml"), "--node", "id:zed", "--insecure"}, dir_ / "unknown.err");
  EXPECT_EQ(unknown.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "unknown.err").find("no [[node]] has peer = \"id:zed\""), std::string::npos)
      << slurp(dir_ / "unknown.err");
}

TEST_F(BbrunNet, LimitsOutsideTheirRangeAreRefusedWhereTheyAreRead) {
  // The envelope limit: at most 1 GiB, refused on the command line.
  Child big({path("receiver.bb"), "--listen", address("bob"), "--insecure", "--max-envelope-bytes", "1073741825"},
            dir_ / "big.err");
  EXPECT_EQ(big.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "big.err").find("1073741825 is over the maximum of 1073741824 (1 GiB)"), std::string::npos)
      << slurp(dir_ / "big.err");
  // Sends in flight: at least 1, in the file (with its line and key) and as a flag.
  write_deploy_with("[send]\n", "[send]\nmax_in_flight = 0\n");
  Child file(node("alice", {}), dir_ / "file.err");
  EXPECT_EQ(file.wait(5000ms), 2);
  EXPECT_TRUE(std::regex_search(slurp(dir_ / "file.err"), std::regex("deploy.toml:\\d+: send.max_in_flight: ")))
      << slurp(dir_ / "file.err");
  Child flag({path("receiver.bb"), "--listen", address("bob"), "--insecure", "--send-max-in-flight", "0"},
             dir_ / "flag.err");
  EXPECT_EQ(flag.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "flag.err").find("--send-max-in-flight"), std::string::npos) << slurp(dir_ / "flag.err");
}

// bbrun keygen FILE: the PeerId it prints.
std::string keygen(const fs::path& file) {
  const std::string cmd = std::string(BBRUN_PATH) + " keygen " + file.string() + " > " + file.string() + ".id";
  if (std::system(cmd.c_str()) != 0) return {};
  std::string id = slurp(file.string() + ".id");
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

TEST_F(BbrunNet, MutualTlsBetweenTwoProcessesWithKeysFromKeygen) {
  const std::string alice_id = keygen(dir_ / "alice.pem"), bob_id = keygen(dir_ / "bob.pem");
  ASSERT_EQ(alice_id.rfind("12D3KooW", 0), 0u) << alice_id;
  ASSERT_EQ(bob_id.rfind("12D3KooW", 0), 0u) << bob_id;
  // alice.bb sends to id:bob: a receiver graph that listens, and a sender to bob's real PeerId.
  std::ofstream(dir_ / "tls_sender.onnxtxt")
      << "<ir_version: 8, opset_import: [\"ai.bytesandbrains.syscall\" : 1, \"ai.bytesandbrains.wire\" : 1]>\n"
      << "sender () => () {\n  tick = ai.bytesandbrains.syscall.Interval<period_ns = 50000000>()\n"
      << "  = ai.bytesandbrains.wire.Send<peer = \"" << bob_id << "\", channel = \"tick\">(tick)\n}\n";
  const std::string cmd = std::string(BBC_PATH) + " compile " + path("tls_sender.onnxtxt") + " -o " +
                          path("tls_sender.bb") + " 2>" + path("bbc.err");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "bbc.err");
  std::ofstream(dir_ / "deploy.toml") << "[[node]]\npeer = \"" << alice_id << "\"\ngraph = \"tls_sender.bb\"\naddress = \""
                                      << address("alice") << "\"\nkey = \"alice.pem\"\n\n"
                                      << "[[node]]\npeer = \"" << bob_id << "\"\ngraph = \"receiver.bb\"\naddress = \""
                                      << address("bob") << "\"\nkey = \"bob.pem\"\n";
  Child bob({"--deploy", path("deploy.toml"), "--node", bob_id, "--duration", "20s", "--metrics", path("bob.json")},
            dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  EXPECT_NE(slurp(dir_ / "bob.err").find("(tls, 1 peer(s)"), std::string::npos) << slurp(dir_ / "bob.err");
  Child alice({"--deploy", path("deploy.toml"), "--node", alice_id, "--duration", "1s", "--metrics", path("alice.json")},
              dir_ / "alice.err");
  ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / "alice.err");
  const std::string metrics = slurp(dir_ / "alice.json");
  EXPECT_GT(json_number(metrics, "\"attempts\"", "delivered"), 5) << metrics;
  EXPECT_EQ(json_number(metrics, "\"attempts\"", "unreachable"), 0) << metrics;
  bob.signal(SIGTERM);
  ASSERT_EQ(bob.wait(5000ms), 0);
  EXPECT_GT(json_number(slurp(dir_ / "bob.json"), "\"receives\"", "accepted"), 5);

  // A key that is not the [[node]]'s: refused before anything starts.
  Child wrong({"--deploy", path("deploy.toml"), "--node", alice_id, "--key", path("bob.pem")}, dir_ / "wrong.err");
  EXPECT_EQ(wrong.wait(5000ms), 2);
  EXPECT_NE(slurp(dir_ / "wrong.err").find("but the key " + path("bob.pem") + " proves " + bob_id), std::string::npos)
      << slurp(dir_ / "wrong.err");
}

TEST_F(BbrunNet, AProcessAtBobsAddressWithAnotherKeyIsRefusedAtTheHandshake) {
  // mallory listens where alice's deployment says bob is, with her own key: alice's dial
  // expects bob's PeerId, so every send ends `unreachable` at the handshake and
  // mallory's graph receives nothing.
  const std::string alice_id = keygen(dir_ / "alice.pem"), bob_id = keygen(dir_ / "bob.pem");
  ASSERT_FALSE(keygen(dir_ / "mallory.pem").empty());
  std::ofstream(dir_ / "to_bob.onnxtxt")
      << "<ir_version: 8, opset_import: [\"ai.bytesandbrains.syscall\" : 1, \"ai.bytesandbrains.wire\" : 1]>\n"
      << "to_bob () => () {\n  tick = ai.bytesandbrains.syscall.Interval<period_ns = 50000000>()\n"
      << "  = ai.bytesandbrains.wire.Send<peer = \"" << bob_id << "\", channel = \"tick\">(tick)\n}\n";
  const std::string cmd = std::string(BBC_PATH) + " compile " + path("to_bob.onnxtxt") + " -o " + path("to_bob.bb") +
                          " 2>" + path("bbc.err");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "bbc.err");
  std::ofstream(dir_ / "deploy.toml") << "[[node]]\npeer = \"" << alice_id << "\"\ngraph = \"to_bob.bb\"\naddress = \""
                                      << address("alice") << "\"\nkey = \"alice.pem\"\n\n"
                                      << "[[node]]\npeer = \"" << bob_id << "\"\ngraph = \"receiver.bb\"\naddress = \""
                                      << address("bob") << "\"\nkey = \"bob.pem\"\n";
  Child mallory({path("receiver.bb"), "--listen", address("bob"), "--key", path("mallory.pem"), "--duration", "20s",
                 "--metrics", path("mallory.json")},
                dir_ / "mallory.err");
  ASSERT_TRUE(wait_for_text(dir_ / "mallory.err", "listening on")) << slurp(dir_ / "mallory.err");
  Child alice({"--deploy", path("deploy.toml"), "--node", alice_id, "--duration", "1s", "--metrics", path("alice.json")},
              dir_ / "alice.err");
  ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / "alice.err");
  const std::string metrics = slurp(dir_ / "alice.json");
  EXPECT_EQ(json_number(metrics, "\"attempts\"", "delivered"), 0) << metrics;
  EXPECT_GT(json_number(metrics, "\"attempts\"", "unreachable"), 0) << metrics;
  mallory.signal(SIGTERM);
  ASSERT_EQ(mallory.wait(5000ms), 0) << slurp(dir_ / "mallory.err");
  EXPECT_EQ(json_number(slurp(dir_ / "mallory.json"), "\"receives\"", "accepted"), 0) << slurp(dir_ / "mallory.json");
}

TEST_F(BbrunNet, APlaintextSenderAgainstATlsListenerIsRefusedAndGrpcLogsThroughOurLogger) {
  const std::string bob_id = keygen(dir_ / "bob.pem");
  ASSERT_FALSE(bob_id.empty());
  Child bob({path("receiver.bb"), "--listen", address("bob"), "--key", path("bob.pem"), "--duration", "20s",
             "--metrics", path("bob.json")},
            dir_ / "bob.err");
  ASSERT_TRUE(wait_for_text(dir_ / "bob.err", "listening on")) << slurp(dir_ / "bob.err");
  // alice speaks plaintext to bob's TLS port, naming bob by his real PeerId.
  std::ofstream(dir_ / "peers.toml") << "[[peer]]\nid = \"" << bob_id << "\"\naddress = \"" << address("bob") << "\"\n";
  std::ofstream(dir_ / "plain.onnxtxt")
      << "<ir_version: 8, opset_import: [\"ai.bytesandbrains.syscall\" : 1, \"ai.bytesandbrains.wire\" : 1]>\n"
      << "plain () => () {\n  tick = ai.bytesandbrains.syscall.Interval<period_ns = 50000000>()\n"
      << "  = ai.bytesandbrains.wire.Send<peer = \"" << bob_id << "\", channel = \"tick\">(tick)\n}\n";
  const std::string cmd = std::string(BBC_PATH) + " compile " + path("plain.onnxtxt") + " -o " + path("plain.bb") +
                          " 2>" + path("bbc.err");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << slurp(dir_ / "bbc.err");
  Child alice({path("plain.bb"), "--listen", address("alice"), "--peer", "id:alice", "--peers", path("peers.toml"),
               "--insecure", "--duration", "1s", "--metrics", path("alice.json")},
              dir_ / "alice.err");
  ASSERT_EQ(alice.wait(8000ms), 0) << slurp(dir_ / "alice.err");
  const std::string metrics = slurp(dir_ / "alice.json");
  EXPECT_EQ(json_number(metrics, "\"attempts\"", "delivered"), 0) << metrics;
  EXPECT_GT(json_number(metrics, "\"attempts\"", "unreachable"), 0) << metrics;
  bob.signal(SIGTERM);
  ASSERT_EQ(bob.wait(5000ms), 0) << slurp(dir_ / "bob.err");
  EXPECT_EQ(json_number(slurp(dir_ / "bob.json"), "\"receives\"", "accepted"), 0);
  // gRPC's complaint about the handshake is one of our log lines, not gRPC's raw format
  // ("E1204 17:52:41.123456 1234 file.cc:1501] …").
  const std::string log = slurp(dir_ / "bob.err");
  EXPECT_NE(log.find("warning: grpc: Handshake failed"), std::string::npos) << log;
  EXPECT_FALSE(std::regex_search(log, std::regex("(^|\n)[EWID]\\d{4} \\d\\d:\\d\\d"))) << log;
}

TEST_F(BbrunNet, InsecureOnANonLoopbackAddressWarns) {
  Child any({path("receiver.bb"), "--listen", "0.0.0.0:0", "--insecure", "--duration", "200ms"}, dir_ / "any.err");
  ASSERT_EQ(any.wait(5000ms), 0) << slurp(dir_ / "any.err");
  EXPECT_NE(slurp(dir_ / "any.err").find("listening without TLS on a non-loopback address"), std::string::npos)
      << slurp(dir_ / "any.err");
}

}  // namespace
}  // namespace bb
