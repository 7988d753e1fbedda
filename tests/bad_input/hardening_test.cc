// Hardening of the edges around the parsers (docs/security.md): outputs that never
// replace what they must not, inputs that are not regular files, names that cannot
// inject into a terminal or a CI log, flags as strict as the deployment file, lint and
// bbrun that trust the gate chains they see rather than the passport's labels, and
// counts that do not lie. Each case drives the real `bbc` and `bbrun`.
//
// Nothing here writes to a real device: a device is reached through a symlink in the
// test's own folder (a tool that renamed over it would only replace the symlink), and
// FIFOs are made with mkfifo in that folder.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_shape.h"
#include "../support/temp_dir.h"
#include "../support/tool_run.h"

namespace bb::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeader =
    R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
)";

// Sends to bob every 100 ms and logs what comes back.
constexpr std::string_view kPing = R"(ping () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "ping">(tick)
  got, from = ai.bytesandbrains.wire.Recv<channel = "ping">()
  = ai.bytesandbrains.syscall.Log<message = "got">(got, from)
}
)";

class Hardening : public ::testing::Test {
 protected:
  // Every command is bounded: a tool that blocks (on a FIFO) fails the test (exit 124).
  ToolRun run(const std::string& command) {
    return run_captured("cd " + shell_quote(dir_.path().string()) + " && timeout 60 " + command, dir_.path());
  }
  ToolRun bbc(const std::string& args) { return run(std::string(BBC_PATH) + " " + args); }
  ToolRun bbrun(const std::string& args) { return run(std::string(BBRUN_PATH) + " " + args); }

  fs::path write(const std::string& name, std::string_view text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  // `name`.onnxtxt compiled to `name`.bb.
  fs::path compiled(const std::string& name, std::string_view graph, const std::string& flags = "") {
    write(name + ".onnxtxt", std::string(kHeader) + std::string(graph));
    const ToolRun r = bbc("compile " + name + ".onnxtxt -o " + name + ".bb " + flags);
    EXPECT_EQ(r.code, 0) << r.err;
    return dir_ / (name + ".bb");
  }

  TempDir dir_;
};

bool no_line_starts_with(const std::string& text, std::string_view prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return false;
  return true;
}

// ---- outputs -----------------------------------------------------------------------

TEST_F(Hardening, CompileWritesAnExistingFifoInPlace) {
  write("ping.onnxtxt", std::string(kHeader) + std::string(kPing));
  const fs::path fifo = dir_ / "out.bb";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // the compile's open does not wait
  ASSERT_GE(reader, 0);
  const ToolRun r = bbc("compile ping.onnxtxt -o out.bb");
  std::string bytes(1 << 16, '\0');
  const ssize_t n = ::read(reader, bytes.data(), bytes.size());
  ::close(reader);
  bytes.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo))) << "the FIFO was replaced";
  auto model = ir::parse_model(bytes, ir::ModelFormat::kBinary);
  ASSERT_TRUE(model) << "the reader did not get the compiled model";
  EXPECT_TRUE(ir::read_passport(*model));
  EXPECT_EQ(dir_.entries(), 2) << "no temporary file";
}

TEST_F(Hardening, CompileToAFullDeviceIsAnError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  write("ping.onnxtxt", std::string(kHeader) + std::string(kPing));
  fs::create_symlink("/dev/full", dir_ / "full.bb");
  const ToolRun r = bbc("compile ping.onnxtxt -o full.bb");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "full.bb"))) << "the symlink was replaced";
  EXPECT_EQ(dir_.entries(), 2) << "no temporary file";
}

TEST_F(Hardening, CompileRefusesToOverwriteItsInput) {
  const std::string source = std::string(kHeader) + std::string(kPing);
  write("x.onnxtxt", source);
  fs::create_symlink("x.onnxtxt", dir_ / "link.onnxtxt");
  for (const std::string out : {"x.onnxtxt", "link.onnxtxt", "./x.onnxtxt"}) {
    const ToolRun r = bbc("compile x.onnxtxt -o " + out);
    EXPECT_EQ(r.code, 2) << out << ": " << r.err;
    EXPECT_NE(r.err.find("is the input"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(dir_ / "x.onnxtxt"), source) << out;
  }
  write("ops.toml", "");
  const ToolRun r = bbc("compile x.onnxtxt --ops ops.toml -o ops.toml");
  EXPECT_EQ(r.code, 2) << r.err;
}

TEST_F(Hardening, BbrunRefusesOutputsOntoItsInputs) {
  const fs::path bb = compiled("ping", kPing);
  const std::string before = slurp(bb);
  for (const std::string flag : {"--metrics", "--trace"}) {
    const ToolRun r = bbrun("ping.bb --virtual-time --duration 1s " + flag + " ping.bb");
    EXPECT_EQ(r.code, 2) << flag << ": " << r.err;
    EXPECT_NE(r.err.find("an input of this run"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(bb), before) << flag;
  }
  const ToolRun both = bbrun("ping.bb --virtual-time --duration 1s --metrics out.json --trace out.json");
  EXPECT_EQ(both.code, 2) << both.err;

  const std::string deploy = "[run]\nduration = \"1s\"\n[[node]]\npeer = \"id:alice\"\ngraph = \"ping.bb\"\n";
  write("deploy.toml", deploy);
  const ToolRun onto_deploy = bbrun("--sim deploy.toml --metrics deploy.toml");
  EXPECT_EQ(onto_deploy.code, 2) << onto_deploy.err;
  EXPECT_EQ(slurp(dir_ / "deploy.toml"), deploy);
  const ToolRun onto_graph = bbrun("--sim deploy.toml --trace ping.bb");
  EXPECT_EQ(onto_graph.code, 2) << onto_graph.err;
  EXPECT_EQ(slurp(bb), before);
}

TEST_F(Hardening, BbrunMetricsGoIntoAnExistingFifo) {
  compiled("ping", kPing);
  const fs::path fifo = dir_ / "metrics.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  const ToolRun r = bbrun("ping.bb --virtual-time --duration 1s --metrics metrics.json");
  std::string bytes(1 << 16, '\0');
  const ssize_t n = ::read(reader, bytes.data(), bytes.size());
  ::close(reader);
  bytes.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  EXPECT_NE(bytes.find("\"nodes\""), std::string::npos) << bytes;
}

TEST_F(Hardening, ATraceThatCannotBeWrittenFailsTheRun) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  compiled("ping", kPing);
  fs::create_symlink("/dev/full", dir_ / "full.jsonl");
  const ToolRun full = bbrun("ping.bb --virtual-time --duration 10s --trace full.jsonl");
  EXPECT_NE(full.code, 0) << full.err;
  EXPECT_NE(full.err.find("--trace"), std::string::npos) << full.err;
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir_ / "full.jsonl")));
  const ToolRun metrics_full = bbrun("ping.bb --virtual-time --duration 1s --metrics full.jsonl");
  EXPECT_EQ(metrics_full.code, 2) << metrics_full.err;
  EXPECT_NE(metrics_full.err.find("No space left"), std::string::npos) << metrics_full.err;
}

// ---- inputs ------------------------------------------------------------------------

TEST_F(Hardening, LintAndCompileRefuseAFifoInsteadOfBlocking) {
  ASSERT_EQ(::mkfifo((dir_ / "g.onnxtxt").c_str(), 0600), 0);
  for (const std::string command : {"lint g.onnxtxt", "compile g.onnxtxt -o g.bb", "inspect g.onnxtxt"}) {
    const ToolRun r = bbc(command);
    EXPECT_EQ(r.code, 2) << command << ": " << r.err;
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
}

TEST_F(Hardening, LintDoesNotFollowASymlinkOutOfItsFolder) {
  write("secret.txt", "root:hunter2:0:0\n");
  write("repo/ping.onnxtxt", std::string(kHeader) + std::string(kPing));
  fs::create_symlink("../secret.txt", dir_ / "repo" / "evil.onnxtxt");
  fs::create_symlink("ping.onnxtxt", dir_ / "repo" / "alias.onnxtxt");
  const ToolRun evil = bbc("lint --format sarif repo/evil.onnxtxt");
  EXPECT_EQ(evil.code, 2) << evil.err;
  EXPECT_NE(evil.err.find("outside its folder"), std::string::npos) << evil.err;
  EXPECT_EQ(evil.out.find("hunter2"), std::string::npos) << evil.out;
  EXPECT_EQ(evil.err.find("hunter2"), std::string::npos) << evil.err;
  const ToolRun alias = bbc("lint repo/alias.onnxtxt");
  EXPECT_EQ(alias.code, 0) << "a symlink inside the folder is followed: " << alias.err;
}

// ---- names -------------------------------------------------------------------------

// A node name, a Log message, a path: printed escaped, on one line.
TEST_F(Hardening, NamesCannotStartALogLineOrACiCommand) {
  // A Send with a malformed peer (BB011), named to inject.
  write("bad.onnxtxt", std::string(kHeader) + "g () => () {\n  t = ai.bytesandbrains.syscall.Interval<period_ns = 1000>()\n"
                           "  = ai.bytesandbrains.wire.Send<peer = \"id:\">(t)\n}\n");
  auto model = ir::load_model(dir_ / "bad.onnxtxt");
  ASSERT_TRUE(model) << model.error().message;
  model->mutable_graph()->mutable_node(1)->set_name("s\n::error file=ci.yml::pwned\r\x1b[2J");
  ASSERT_TRUE(ir::save_model(dir_ / "bad.onnx", *model));
  for (const std::string command : {"lint bad.onnx", "compile bad.onnx -o bad.bb"}) {
    const ToolRun r = bbc(command);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_TRUE(no_line_starts_with(r.err, "::")) << r.err;
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("\\x0a::error"), std::string::npos) << r.err;
  }
  // The Log op's message, from the graph, through bbrun's log.
  onnx::ModelProto log_model = *ir::parse_model(std::string(kHeader) + R"(g () => () {
  t = ai.bytesandbrains.syscall.Interval<period_ns = 100000000, count = 1>()
  = ai.bytesandbrains.syscall.Log<message = "m">(t)
}
)", ir::ModelFormat::kText);
  log_model.mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_s("hi\n::error::pwned\x1b]0;title\x07");
  ASSERT_TRUE(ir::save_model(dir_ / "log.onnx", log_model));
  const ToolRun compiled_log = bbc("compile log.onnx -o log.bb");
  ASSERT_EQ(compiled_log.code, 0) << compiled_log.err;
  const ToolRun r = bbrun("log.bb --virtual-time --duration 1s");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("hi\\x0a::error::pwned"), std::string::npos) << r.err;
  EXPECT_TRUE(no_line_starts_with(r.err, "::")) << r.err;
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\x07'), std::string::npos) << r.err;
}

// ---- flags and settings --------------------------------------------------------------

TEST_F(Hardening, FlagsAreAsStrictAsTheDeploymentFile) {
  compiled("ping", kPing);
  for (const std::string flags : {"--seed -1", "--seed 18446744073709551616", "--seed 9223372036854775808",
                                  "--duration 0s", "--backoff-base 0s", "--send-timeout 0ms", "--dedup-ttl 0s"}) {
    const ToolRun r = bbrun("ping.bb --virtual-time --duration 1s " + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.err;
  }
  EXPECT_EQ(bbrun("ping.bb --virtual-time --duration 1s --seed 9223372036854775807").code, 0);
  // A memory-sizing setting over its bound, wherever it is set.
  std::string many = "[governor]\nblocklist = [";
  std::string flag;
  for (int i = 0; i < 100'001; ++i) {
    many += (i ? ", " : "") + std::string("\"id:p") + std::to_string(i) + "\"";
    // --blocklist A,B,… in pieces: one argument may not exceed 128 KiB.
    flag += (i == 0 ? "--blocklist " : i % 10'000 == 0 ? " --blocklist " : ",") + std::string("id:p") + std::to_string(i);
  }
  write("many.toml", many + "]\n");
  const ToolRun config = bbrun("ping.bb --virtual-time --duration 1s --config many.toml");
  EXPECT_EQ(config.code, 2) << config.err;
  EXPECT_NE(config.err.find("over the limit of 100000"), std::string::npos) << config.err;
  write("flag.txt", flag);
  const ToolRun flags = bbrun("ping.bb --virtual-time --duration 1s $(cat flag.txt)");
  EXPECT_EQ(flags.code, 2) << flags.err.substr(0, 500);
  write("deploy.toml", "[network]\nmax_in_flight = 2000000\n[[node]]\npeer = \"id:alice\"\ngraph = \"ping.bb\"\n");
  const ToolRun deploy = bbrun("--sim deploy.toml --duration 1s");
  EXPECT_EQ(deploy.code, 2) << deploy.err;
  EXPECT_NE(deploy.err.find("network.max_in_flight"), std::string::npos) << deploy.err;
}

// A node that sends faster than the network answers: past network.max_in_flight attempts
// the next Send is rejected at once, with a stable reason.
TEST_F(Hardening, AttemptsInFlightAreCapped) {
  compiled("fast", R"(fast () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 1000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "c">(tick)
}
)");
  compiled("sink", R"(sink () => () {
  got, from = ai.bytesandbrains.wire.Recv<channel = "c">()
  = ai.bytesandbrains.syscall.IncrMetric<name = "got">(got)
}
)");
  write("deploy.toml",
        "[run]\nduration = \"200ms\"\n[network]\nlatency = \"10s\"\nmax_in_flight = 5\n[send]\ntimeout = \"60s\"\n"
        "[[node]]\npeer = \"id:alice\"\ngraph = \"fast.bb\"\n[[node]]\npeer = \"id:bob\"\ngraph = \"sink.bb\"\n");
  const ToolRun r = bbrun("--sim deploy.toml --metrics m.json");
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string metrics = slurp(dir_ / "m.json");
  EXPECT_NE(metrics.find("\"in_flight_limit\""), std::string::npos) << metrics;
}

// ---- structure, not labels -------------------------------------------------------------

TEST_F(Hardening, LintChecksEveryChainWhateverThePassportLists) {
  compiled("skipped", kPing, "--skip insert-backoff-gate-tx");
  const ToolRun lint = bbc("lint skipped.bb");
  EXPECT_EQ(lint.code, 1) << lint.err;
  EXPECT_NE(lint.err.find("BB012"), std::string::npos) << lint.err;
  const ToolRun run = bbrun("skipped.bb --virtual-time --duration 1s");
  EXPECT_NE(run.err.find("not behind its full gate chain (no BackoffGateTx"), std::string::npos) << run.err;

  // A forged file: the rx chain cut out, the pass list trimmed, the digest recomputed.
  const fs::path full = compiled("full", kPing);
  EXPECT_EQ(bbrun("full.bb --virtual-time --duration 1s").err.find("not behind"), std::string::npos);
  auto model = ir::load_model(full);
  ASSERT_TRUE(model);
  auto& nodes = *model->mutable_graph()->mutable_node();
  for (int i = 0; i < nodes.size(); ++i) {
    if (nodes.Get(i).op_type() != ir::kBackoffGateRx) continue;
    // Its readers read its inputs instead; the node goes.
    const onnx::NodeProto gate = nodes.Get(i);
    for (auto& n : nodes)
      for (auto& in : *n.mutable_input())
        for (int j = 0; j < gate.output_size(); ++j)
          if (in == gate.output(j)) in = gate.input(j);
    nodes.DeleteSubrange(i, 1);
    break;
  }
  auto passport = ir::read_passport(*model);
  ASSERT_TRUE(passport);
  std::erase(passport->passes, std::string(ir::kPassInsertBackoffGateRx));
  passport->digest = ir::graph_digest(*model);
  ir::write_passport(*model, *passport);
  ASSERT_TRUE(ir::save_model(dir_ / "forged.bb", *model));
  const ToolRun forged = bbc("lint forged.bb");
  EXPECT_EQ(forged.code, 1) << forged.err;
  EXPECT_NE(forged.err.find("BB014"), std::string::npos) << forged.err;
  const ToolRun forged_run = bbrun("forged.bb --virtual-time --duration 1s");
  EXPECT_NE(forged_run.err.find("Recv 'Recv_2' is not behind its full gate chain"), std::string::npos)
      << forged_run.err;
}

TEST_F(Hardening, ReservedGateNamesAndStampsAreDiagnosed) {
  // The text syntax cannot spell '#': the name is set on the parsed model.
  auto text = std::string(kHeader) + R"(g () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
}
)";
  auto model = ir::parse_model(text, ir::ModelFormat::kText);
  ASSERT_TRUE(model);
  auto& nodes = *model->mutable_graph()->mutable_node();
  nodes.Mutable(1)->set_name("s0");
  nodes.Mutable(0)->set_output(0, "s0#" + std::string(ir::kOutBackoffTx) + ".0");
  nodes.Mutable(1)->set_input(0, "s0#" + std::string(ir::kOutBackoffTx) + ".0");
  ASSERT_TRUE(ir::save_model(dir_ / "named.onnx", *model));
  for (const std::string command : {"compile named.onnx -o named.bb", "lint named.onnx"}) {
    const ToolRun r = bbc(command);
    EXPECT_EQ(r.code, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find("BB018"), std::string::npos) << r.err;
  }
  auto stamped = ir::parse_model(text, ir::ModelFormat::kText);
  ASSERT_TRUE(stamped);
  auto* stamp = stamped->mutable_graph()->mutable_node(1)->add_attribute();
  stamp->set_name(std::string(ir::kStampBackoffTx));
  stamp->set_type(onnx::AttributeProto::INT);
  stamp->set_i(1);
  ASSERT_TRUE(ir::save_model(dir_ / "stamped.onnx", *stamped));
  for (const std::string command : {"compile stamped.onnx -o stamped.bb", "lint stamped.onnx"}) {
    const ToolRun r = bbc(command);
    EXPECT_EQ(r.code, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find("BB018"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(std::string(ir::kStampBackoffTx)), std::string::npos) << r.err;
  }
}

TEST_F(Hardening, DuplicateInputsShadowingSubgraphsAndRecursiveFunctionsAreRefused) {
  write("dup.onnxtxt", R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1] x, float[1] x) => (float[1] y) {
  y = Relu(x)
}
)");
  // The If's branch defines its own `r`, the name of the Recv's output outside: rx gate
  // insertion, renaming the outer `r`'s readers, would redirect the branch's reader.
  // (Built on the parsed model: onnx 1.12's text syntax has no graph attributes.)
  auto shadow = ir::parse_model(R"(<ir_version: 8, opset_import: ["" : 13, "ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
g (bool c) => () {
  r, from = ai.bytesandbrains.wire.Recv<channel = "x">()
  out = Identity(c)
  = ai.bytesandbrains.syscall.Log<message = "out">(out, r)
}
)", ir::ModelFormat::kText);
  ASSERT_TRUE(shadow) << shadow.error().message;
  {
    onnx::NodeProto& node = *shadow->mutable_graph()->mutable_node(1);
    node.set_op_type("If");
    node.set_name("if0");
    auto branch = [&](const char* name, bool redefine) {
      auto* attr = node.add_attribute();
      attr->set_name(name);
      attr->set_type(onnx::AttributeProto::GRAPH);
      onnx::GraphProto& g = *attr->mutable_g();
      g.set_name(name);
      if (redefine) {
        auto* n = g.add_node();
        n->set_op_type("Identity");
        n->add_input("c");
        n->add_output("r");
      }
      auto* n = g.add_node();
      n->set_op_type("Identity");
      n->add_input("r");
      n->add_output(std::string(name) + "_o");
      g.add_output()->set_name(std::string(name) + "_o");
    };
    branch("then_branch", true);
    branch("else_branch", false);
  }
  ASSERT_TRUE(ir::save_model(dir_ / "shadow.onnx", *shadow));

  auto recursive = ir::parse_model(R"(<ir_version: 8, opset_import: ["" : 13, "local" : 1]>
g (float[1] x) => (float[1] y) {
  y = local.f(x)
}
)", ir::ModelFormat::kText);
  ASSERT_TRUE(recursive) << recursive.error().message;
  {
    onnx::FunctionProto& f = *recursive->add_functions();
    f.set_name("f");
    f.set_domain("local");
    f.add_input("a");
    f.add_output("b");
    auto* import = f.add_opset_import();
    import->set_domain("local");
    import->set_version(1);
    auto* n = f.add_node();
    n->set_op_type("f");
    n->set_domain("local");
    n->add_input("a");
    n->add_output("b");
  }
  ASSERT_TRUE(ir::save_model(dir_ / "recursive.onnx", *recursive));
  for (const auto& [file, code] : {std::pair{"dup.onnxtxt", "BB005"}, {"shadow.onnx", "BB019"},
                                   {"recursive.onnx", "BB006"}}) {
    for (const std::string& command : {std::string("lint ") + file, std::string("compile ") + file + " -o out.bb"}) {
      const ToolRun r = bbc(command);
      EXPECT_EQ(r.code, 1) << command << ": " << r.err;
      EXPECT_NE(r.err.find(code), std::string::npos) << command << ": " << r.err;
    }
  }
}

// ---- counts --------------------------------------------------------------------------

TEST_F(Hardening, CountersSaturateInsteadOfWrapping) {
  compiled("count", R"(count () => () {
  t = ai.bytesandbrains.syscall.Interval<period_ns = 100000000, count = 3>()
  = ai.bytesandbrains.syscall.IncrMetric<name = "big", delta = 9223372036854775807>(t)
  = ai.bytesandbrains.syscall.IncrMetric<name = "small", delta = -9223372036854775807>(t)
}
)");
  const ToolRun r = bbrun("count.bb --virtual-time --duration 1s --metrics m.json");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string metrics = slurp(dir_ / "m.json");
  EXPECT_NE(metrics.find("\"big\": 9223372036854775807"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\"small\": -9223372036854775808"), std::string::npos) << metrics;
}

// A dynamic Send whose peer list is empty: its gate denies with no_peers, and the
// metrics and the summary count that as the trace shows it.
TEST_F(Hardening, NoPeersDenialsAreCounted) {
  compiled("empty", R"(empty () => () {
  t = ai.bytesandbrains.syscall.Interval<period_ns = 100000000, count = 2>()
  all = ai.bytesandbrains.syscall.Peers<peers = ["id:bob"]>()
  none = ai.bytesandbrains.syscall.SamplePeers<k = 0>(all)
  = ai.bytesandbrains.wire.Send<channel = "c">(t, none)
}
)");
  const ToolRun r = bbrun("empty.bb --virtual-time --duration 1s --metrics m.json --trace t.jsonl");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string trace = slurp(dir_ / "t.jsonl");
  ASSERT_NE(trace.find("no_peers"), std::string::npos) << trace;
  const std::string metrics = slurp(dir_ / "m.json");
  EXPECT_NE(metrics.find("\"no_peers\": 2"), std::string::npos) << metrics;
  EXPECT_NE(r.err.find("no_peers 2"), std::string::npos) << r.err;
}

TEST_F(Hardening, AStringThatIsNotUtf8IsRefusedAtTheSender) {
  auto model = ir::parse_model(std::string(kHeader) + R"(g () => () {
  t = ai.bytesandbrains.syscall.Interval<period_ns = 100000000, count = 1>()
  s = ai.bytesandbrains.syscall.Constant<value_string = "ok">()
  = ai.bytesandbrains.wire.Send<peer = "id:bob", channel = "c">(s, t)
}
)", ir::ModelFormat::kText);
  ASSERT_TRUE(model) << model.error().message;
  model->mutable_graph()->mutable_node(1)->mutable_attribute(0)->set_s("bad \xff\xfe bytes");
  ASSERT_TRUE(ir::save_model(dir_ / "bad.onnx", *model));
  ASSERT_EQ(bbc("compile bad.onnx -o bad.bb").code, 0);
  const ToolRun r = bbrun("bad.bb --virtual-time --duration 1s --trace t.jsonl");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(slurp(dir_ / "t.jsonl").find("invalid_value"), std::string::npos) << slurp(dir_ / "t.jsonl");
}

}  // namespace
}  // namespace bb::testing
