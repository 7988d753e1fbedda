// The bad-input corpus (docs/security.md): malformed and
// hostile models driven through the real `bbc compile`, `bbc lint` and `bbrun`
// binaries. Every case is generated here, deterministically (fixed seeds, no binary
// files in the repository). Each case asserts, per tool, the exit code, the error code
// in the output (a BBxxx code for bbc, the loader's message for bbrun) and that the
// output folder holds nothing but the input afterwards: no output, no temporary file.
//
// Cases whose refusal comes from the runtime's own checks (cycles, dangling inputs,
// wrong attribute types, malformed peers) give bbrun a *forged* `.bb`: the bad graph
// with a passport whose digest matches, as if bbc had been bypassed. bbrun must refuse
// it on its own.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"

namespace bb::testing {
namespace {

namespace fs = std::filesystem;

// ---- how one tool is expected to refuse a case --------------------------------------

struct Expect {
  int exit = -1;       // -1: this tool does not run on the case
  std::string needle;  // must appear in stderr
};

struct Case {
  std::string name;
  std::string ext = ".onnx";  // of the file bbc reads
  std::string bytes;          // what bbc reads
  std::string bb_bytes;       // what bbrun reads (empty: `bytes`)
  std::string flags;          // extra flags for every tool (lowered limits)
  Expect compile, lint, run;
};

// ---- model text and builders ---------------------------------------------------------

constexpr std::string_view kHeader =
    R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
)";

constexpr std::string_view kPing =
    R"(<ir_version: 8, opset_import: ["ai.bytesandbrains.syscall" : 1, "ai.bytesandbrains.wire" : 1]>
ping () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
}
)";

onnx::ModelProto parse(std::string_view text) {
  auto m = ir::parse_model(text, ir::ModelFormat::kText);
  if (!m) throw std::runtime_error("corpus model does not parse: " + m.error().message);
  return std::move(*m);
}

std::string binary(const onnx::ModelProto& m) { return ir::serialize_deterministic(m); }

// The model with a passport that matches its graph: what a bypassed bbc would leave.
std::string forged(onnx::ModelProto m) {
  ir::write_passport(m, ir::Passport{std::string(ir::kPassportVersion), "bbc forged", {}, ir::graph_digest(m)});
  return binary(m);
}

std::string random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

onnx::NodeProto& node(onnx::ModelProto& m, int i) { return *m.mutable_graph()->mutable_node(i); }

onnx::AttributeProto& attribute(onnx::NodeProto& n, std::string_view name) {
  for (auto& a : *n.mutable_attribute())
    if (a.name() == name) return a;
  auto* a = n.add_attribute();
  a->set_name(std::string(name));
  return *a;
}

// ping with the Send's `peer` attribute holding these bytes (a malformed multihash).
onnx::ModelProto ping_with_peer(const std::string& peer_bytes) {
  onnx::ModelProto m = parse(kPing);
  attribute(node(m, 1), ir::kAttrPeer).set_s(peer_bytes);
  return m;
}

// A Constant whose tensor declares `dims` (no data needed to declare them).
onnx::ModelProto constant_with_dims(std::initializer_list<std::int64_t> dims) {
  onnx::ModelProto m = parse(std::string(kHeader) + R"(g () => () {
  c = ai.bytesandbrains.syscall.Constant<value_int = 1>()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(c)
}
)");
  auto& n = node(m, 0);
  n.clear_attribute();
  auto& a = attribute(n, ir::kAttrValue);
  a.set_type(onnx::AttributeProto::TENSOR);
  a.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) a.mutable_t()->add_dims(d);
  return m;
}

// `depth` If nodes, each holding the next in its then_branch: deeper than protobuf's
// recursion limit long before the end.
onnx::ModelProto nested(int depth) {
  onnx::ModelProto m = parse(kPing);
  onnx::GraphProto* g = m.mutable_graph();
  for (int i = 0; i < depth; ++i) {
    auto* n = g->add_node();
    n->set_op_type("If");
    auto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(onnx::AttributeProto::GRAPH);
    g = a->mutable_g();
  }
  return m;
}

// base58btc of raw bytes, for multihashes whose first byte is not 0x00/0x12 (the
// `peer` attribute reads those as text).
std::string base58(const std::string& bytes) {
  static constexpr char kAlphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  std::vector<unsigned char> digits;  // little-endian base 58
  for (unsigned char byte : bytes) {
    unsigned carry = byte;
    for (auto& d : digits) {
      carry += static_cast<unsigned>(d) << 8;
      d = static_cast<unsigned char>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<unsigned char>(carry % 58));
      carry /= 58;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && bytes[i] == 0; ++i) out += '1';
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out += kAlphabet[*it];
  return out;
}

// ---- the corpus ----------------------------------------------------------------------

Expect bbc(int exit, std::string code) { return Expect{exit, "error " + code + ": "}; }
Expect run(int exit, std::string needle) { return Expect{exit, std::move(needle)}; }

std::vector<Case> corpus() {
  std::vector<Case> out;
  const std::string ping = binary(parse(kPing));

  // Not a model at all.
  out.push_back({"truncated_binary", ".onnx", ping.substr(0, ping.size() / 2), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: not a binary ONNX model")});
  out.push_back({"truncated_binary_one_byte_short", ".onnx", ping.substr(0, ping.size() - 1), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: not a binary ONNX model")});
  out.push_back({"truncated_text", ".onnxtxt", std::string(kPing.substr(0, kPing.size() / 2)), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), {}});
  out.push_back({"random_bytes", ".onnx", random_bytes(4096, 1), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: not a binary ONNX model")});
  out.push_back({"random_bytes_after_a_valid_model", ".onnx", ping + random_bytes(64, 2), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: not a binary ONNX model")});
  out.push_back({"random_text", ".onnxtxt", random_bytes(512, 3), {}, {}, bbc(1, "BB001"), bbc(1, "BB001"), {}});
  out.push_back({"text_number_out_of_range", ".onnxtxt",
                 std::string(kHeader) + "g () => () {\n  t = ai.bytesandbrains.syscall.Interval<period_ns = "
                                        "99999999999999999999999999>()\n}\n",
                 {}, {}, bbc(1, "BB001"), bbc(1, "BB001"), {}});
  out.push_back({"nesting_deeper_than_the_recursion_limit", ".onnx", binary(nested(200)), {}, {},
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: not a binary ONNX model")});
  {
    // Found by hand: 20,000 nested subgraphs in 2 MB of text overflowed onnx's
    // recursive-descent parser (exit 139). Now refused before parsing.
    // Built as 20,000 openings, the core, 20,000 closings: linear (wrapping the body
    // 20,000 times copied gigabytes, in every test process of this binary).
    constexpr std::string_view kOpen = "x = If(c) <then_branch = g () => (float x) { ";
    constexpr std::string_view kClose = " }, else_branch = h () => (float x) { x = Identity(a) }>";
    constexpr int kDepth = 20000;
    std::string body;
    body.reserve(kDepth * (kOpen.size() + kClose.size()) + 16);
    for (int i = 0; i < kDepth; ++i) body += kOpen;
    body += "x = Identity(a)";
    for (int i = 0; i < kDepth; ++i) body += kClose;
    out.push_back({"text_nesting_deeper_than_the_parser_stack", ".onnxtxt",
                   R"(<ir_version: 8, opset_import: ["" : 13]>)" "\nm (bool c, float a) => (float x) {\n" + body + "\n}\n",
                   {}, {}, bbc(1, "BB001"), bbc(1, "BB001"), {}});
  }
  {
    // A length prefix claiming 2 GiB of graph in a 12-byte file.
    std::string lie = "\x3a\xff\xff\xff\xff\x07";
    lie += random_bytes(6, 4);
    out.push_back({"length_prefix_past_the_end", ".onnx", lie, {}, {}, bbc(1, "BB001"), bbc(1, "BB001"),
                   run(1, "/in.bb: not a binary ONNX model")});
  }

  // Limits (docs/security.md), with the defaults and with lowered flags.
  out.push_back({"tensor_declares_2_to_the_40_elements", ".onnx", binary(constant_with_dims({std::int64_t{1} << 40})),
                 forged(constant_with_dims({std::int64_t{1} << 40})), {}, bbc(1, "BB001"), bbc(1, "BB001"),
                 run(1, "tensor declares 1099511627776 elements, over the limit of 67108864")});
  out.push_back({"tensor_dims_overflow_64_bits", ".onnx",
                 binary(constant_with_dims({std::int64_t{1} << 62, std::int64_t{1} << 62, 4})),
                 forged(constant_with_dims({std::int64_t{1} << 62, std::int64_t{1} << 62, 4})), {}, bbc(1, "BB001"),
                 bbc(1, "BB001"), run(1, "tensor declares more than 2^64 elements")});
  out.push_back({"tensor_negative_dim", ".onnx", binary(constant_with_dims({2, -1})),
                 forged(constant_with_dims({2, -1})), {}, bbc(1, "BB001"), bbc(1, "BB001"),
                 run(1, "tensor dim 1 is negative")});
  {
    onnx::ModelProto m = parse(kPing);
    for (int i = 0; i < 20; ++i) {
      auto* n = m.mutable_graph()->add_node();
      n->set_domain(std::string(ir::kSyscallDomain));
      n->set_op_type(std::string(ir::kPulse));
      n->add_output("p" + std::to_string(i));
    }
    out.push_back({"node_count_over_max_nodes", ".onnx", binary(m), forged(m), "--max-nodes 10", bbc(1, "BB001"),
                   bbc(1, "BB001"), run(1, "over the limit of 10 (raise it with --max-nodes)")});
  }
  {
    onnx::ModelProto m = parse(kPing);
    auto& label = attribute(node(m, 1), ir::kAttrChannel);
    label.set_type(onnx::AttributeProto::STRING);
    label.set_s(std::string(4096, 'c'));
    out.push_back({"attribute_over_max_attribute_bytes", ".onnx", binary(m), forged(m), "--max-attribute-bytes 1024",
                   bbc(1, "BB001"), bbc(1, "BB001"),
                   run(1, "4096 bytes of data, over the limit of 1024 (raise it with --max-attribute-bytes)")});
  }
  {
    onnx::ModelProto m = parse(kPing);
    auto* w = m.mutable_graph()->add_initializer();
    w->set_name("w");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(512);
    w->set_raw_data(std::string(2048, '\0'));
    out.push_back({"initializer_over_max_attribute_bytes", ".onnx", binary(m), forged(m),
                   "--max-attribute-bytes 1024", bbc(1, "BB001"), bbc(1, "BB001"),
                   run(1, "initializer 'w': 2048 bytes of data")});
  }
  out.push_back({"file_over_max_file_bytes", ".onnx", ping, forged(parse(kPing)), "--max-file-bytes 32",
                 bbc(1, "BB001"), bbc(1, "BB001"), run(1, "/in.bb: file is 399 bytes, over the limit of 32")});

  // Graphs that parse but are wrong.
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  a = ai.bytesandbrains.syscall.PassThrough(b)
  b = ai.bytesandbrains.syscall.PassThrough(a)
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(b)
}
)";
    out.push_back({"cycle", ".onnxtxt", text, forged(parse(text)), {}, bbc(1, "BB006"), bbc(1, "BB006"),
                   run(1, "the node is on a cycle")});
  }
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(nowhere)
}
)";
    out.push_back({"dangling_input", ".onnxtxt", text, forged(parse(text)), {}, bbc(1, "BB004"), bbc(1, "BB004"),
                   run(1, "input 'nowhere' is never produced")});
  }
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = "soon">()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(tick)
}
)";
    out.push_back({"attribute_string_where_int_belongs", ".onnxtxt", text, forged(parse(text)), {},
                   bbc(1, "BB008"), bbc(1, "BB008"), run(1, "attribute 'period_ns' must be INT, found STRING")});
  }
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  tick = ai.bytesandbrains.syscall.Interval<period_ns = 100000000>()
  = ai.bytesandbrains.wire.Send<peer = 42>(tick)
}
)";
    out.push_back({"attribute_int_where_peer_belongs", ".onnxtxt", text, forged(parse(text)), {}, bbc(1, "BB011"),
                   bbc(1, "BB011"), run(1, "attribute 'peer' must be STRING, found INT")});
  }
  {
    onnx::ModelProto m = parse(kPing);
    attribute(node(m, 0), ir::kAttrPeriodNs).set_type(onnx::AttributeProto::TENSOR);
    out.push_back({"attribute_type_tag_disagrees_with_value", ".onnx", binary(m), forged(m), {}, bbc(1, "BB008"),
                   bbc(1, "BB008"), run(1, "attribute 'period_ns' must be INT, found TENSOR")});
  }
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  t = ai.bytesandbrains.syscall.Frobnicate()
}
)";
    out.push_back({"unknown_op", ".onnxtxt", text, forged(parse(text)), {}, bbc(1, "BB003"), bbc(1, "BB003"),
                   run(1, "no kernel for 'ai.bytesandbrains.syscall::Frobnicate'")});
  }
  {
    const std::string text = std::string(kHeader) + R"(g () => () {
  t = ai.bytesandbrains.syscall.Pulse()
  t = ai.bytesandbrains.syscall.Pulse()
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(t)
}
)";
    out.push_back({"value_produced_twice", ".onnxtxt", text, forged(parse(text)), {}, bbc(1, "BB005"),
                   bbc(1, "BB005"), run(1, "value 't' is produced twice")});
  }
  out.push_back({"domain_without_opset_import", ".onnxtxt",
                 "<ir_version: 8, opset_import: [\"ai.bytesandbrains.wire\" : 1]>\ng () => () {\n"
                 "  t = ai.bytesandbrains.syscall.Pulse()\n  = ai.bytesandbrains.wire.Send<peer = \"id:bob\">(t)\n}\n",
                 {}, {}, bbc(1, "BB002"), bbc(1, "BB002"), {}});
  {
    onnx::ModelProto m = parse(kPing);
    m.set_ir_version(99);
    out.push_back({"ir_version_from_the_future", ".onnx", binary(m), {}, {}, bbc(1, "BB009"), bbc(1, "BB009"), {}});
  }
  {
    const std::string compiled = forged(parse(kPing));
    onnx::ModelProto tampered;
    tampered.ParseFromString(compiled);
    tampered.mutable_graph()->mutable_node(0)->set_name("tampered");
    out.push_back({"digest_does_not_match", ".onnx", binary(tampered), {}, {}, bbc(1, "BB020"), bbc(1, "BB020"),
                   run(1, "does not match the passport")});
  }
  out.push_back({"not_compiled", ".onnx", ping, {}, {}, {}, {}, run(1, "not compiled")});

  // Malformed multihashes in a Send's `peer` (bytes form, or base58 text of bad bytes).
  const struct {
    const char* name;
    std::string peer;
    const char* label;  // PeerIdError's describe()
  } peers[] = {
      {"multihash_truncated_varint", std::string("\x12\x80", 2), "(varint truncated)"},
      {"multihash_non_minimal_varint", std::string("\x00\x85\x00" "abcde", 8), "(varint not minimal)"},
      {"multihash_wrong_length", std::string("\x00\x05" "abc", 5), "(digest length does not match the declared length)"},
      {"multihash_sha256_wrong_length", std::string("\x12\x03" "abc", 5), "(sha2-256 digest is not 32 bytes)"},
      {"multihash_digest_over_64_bytes", std::string("\x00\x41", 2) + std::string(65, 'x'), "(digest longer than 64 bytes)"},
      {"multihash_unknown_code", base58(std::string("\x13\x02" "ab", 4)), "(multihash code is neither identity (0x00) nor sha2-256 (0x12))"},
      {"multihash_varint_over_9_bytes", base58(std::string(10, '\x80') + "\x01"), "(varint longer than 9 bytes)"},
      {"peer_text_not_base58", "0OIl+/", "(invalid base58btc character)"},
  };
  for (const auto& p : peers) {
    onnx::ModelProto m = ping_with_peer(p.peer);
    out.push_back({p.name, ".onnx", binary(m), forged(m), {}, bbc(1, "BB011"), bbc(1, "BB011"), run(1, p.label)});
  }
  return out;
}

// ---- running the tools ---------------------------------------------------------------

struct Ran {
  int exit = -1;
  std::string err;
};

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Ran shell(const std::string& command, const fs::path& err_file) {
  const int status = std::system((command + " >/dev/null 2>" + quote(err_file.string())).c_str());
  std::ifstream in(err_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  fs::remove(err_file);
  return Ran{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ss.str()};
}

std::set<std::string> listing(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

class BadInput : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("bb_bad_input_" + std::to_string(::getpid()) + "_" + GetParam().name);
    fs::remove_all(root_);
    fs::create_directories(root_ / "work");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes the input into a fresh folder, runs the tool with every output pointed into
  // that folder, and checks the exit code, the code in stderr and the folder.
  void check(const std::string& tool, const Expect& expect, const std::string& file, const std::string& bytes,
             const std::string& args) {
    if (expect.exit < 0) return;
    SCOPED_TRACE(tool);
    const fs::path work = root_ / "work";
    fs::remove_all(work);
    fs::create_directories(work);
    const fs::path in = work / file;
    {
      std::ofstream out(in, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    const std::string command = args + " " + GetParam().flags;
    const Ran ran = shell(command, root_ / "stderr");
    if (std::getenv("BB_BAD_INPUT_VERBOSE") != nullptr) std::cerr << tool << " -> " << ran.exit << ": " << ran.err;
    EXPECT_EQ(ran.exit, expect.exit) << command << "\n" << ran.err;
    EXPECT_NE(ran.err.find(expect.needle), std::string::npos) << "expected '" << expect.needle << "' in:\n" << ran.err;
    EXPECT_EQ(listing(work), std::set<std::string>{file}) << "an output or temporary file was left behind";
  }

  fs::path root_;
};

TEST_P(BadInput, IsRefusedWithItsCodeAndLeavesNothing) {
  const Case& c = GetParam();
  const fs::path work = root_ / "work";
  const std::string in = quote((work / ("in" + c.ext)).string());
  check("bbc compile", c.compile, "in" + c.ext, c.bytes,
        std::string(BBC_PATH) + " compile " + in + " -o " + quote((work / "out.bb").string()));
  check("bbc lint", c.lint, "in" + c.ext, c.bytes, std::string(BBC_PATH) + " lint " + in);
  check("bbrun", c.run, "in.bb", c.bb_bytes.empty() ? c.bytes : c.bb_bytes,
        std::string(BBRUN_PATH) + " " + quote((work / "in.bb").string()) +
            " --virtual-time --duration 1s --metrics " + quote((work / "m.json").string()) + " --trace " +
            quote((work / "t.jsonl").string()));
}

// Malformed compute graphs (wrong ranks, out-of-range indices, shapes that do not
// broadcast): every tensor is an initializer, so the node runs in the static run and
// fails with a stable reason naming the node and the shapes or the index; the run goes
// on, bbrun exits normally and nothing crashes. bbc compiles them (their types are
// consistent); the failure is the kernel's, at run time.
TEST(BadInputCompute, KernelsRefuseBadShapesAndIndicesWithClearErrors) {
  const fs::path dir = fs::temp_directory_path() / ("bb_bad_input_compute_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const struct {
    const char* name;
    std::string body;  // the graph's initializers and nodes
    std::string needle;
  } cases[] = {
      {"matmul_inner_dims_differ",
       "(float[2,3] a = {1,2,3,4,5,6}, float[4,2] b = {1,2,3,4,5,6,7,8}) => () {\n  y = MatMul(a, b)\n",
       "(MatMul #0): static node failed: shape_mismatch"},
      {"gather_index_out_of_range",
       "(float[3] a = {1,2,3}, int64[1] i = {7}) => () {\n  y = Gather(a, i)\n",
       "(Gather #0): static node failed: invalid_value"},
      {"add_shapes_do_not_broadcast",
       "(float[2,3] a = {1,2,3,4,5,6}, float[4] b = {1,2,3,4}) => () {\n  y = Add(a, b)\n",
       "(Add #0): static node failed: shape_mismatch"},
      {"conv_input_of_wrong_rank",
       "(float[4] x = {1,2,3,4}, float[1,1,1,1] w = {1}) => () {\n  y = Conv(x, w)\n",
       "(Conv #0): static node failed: shape_mismatch"},
      {"reshape_to_another_element_count",
       "(float[6] a = {1,2,3,4,5,6}, int64[2] s = {4,2}) => () {\n  y = Reshape(a, s)\n",
       "(Reshape #0): static node failed:"},
      {"transpose_perm_out_of_range",
       "(float[2,3] a = {1,2,3,4,5,6}) => () {\n  y = Transpose<perm = [0, 5]>(a)\n",
       "(Transpose #0): "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string text = std::string("<ir_version: 8, opset_import: [\"\" : 13]>\ng ") + c.body + "}\n";
    const fs::path file = dir / (std::string(c.name) + ".bb");
    const std::string bytes = forged(parse(text));
    std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const Ran ran = shell(std::string(BBRUN_PATH) + " " + quote(file.string()) + " --virtual-time --duration 1ms",
                          dir / "stderr");
    EXPECT_TRUE(ran.exit == 0 || ran.exit == 1) << "exit " << ran.exit << " (a crash?)\n" << ran.err;
    EXPECT_NE(ran.err.find(c.needle), std::string::npos) << "expected '" << c.needle << "' in:\n" << ran.err;
  }
  fs::remove_all(dir);
}

// bbrun's other inputs: a peer, a settings file, a deployment file and an input tensor,
// each malformed. All are usage errors (exit 2) naming what is wrong; nothing is written.
TEST(BadInputCli, BbrunRefusesMalformedArgumentsAndFiles) {
  const fs::path dir = fs::temp_directory_path() / ("bb_bad_input_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto put = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return quote((dir / name).string());
  };
  const std::string graph = put("g.bb", forged(parse(kPing)));
  const std::string outputs =
      " --metrics " + quote((dir / "m.json").string()) + " --trace " + quote((dir / "t.jsonl").string());
  const struct {
    std::string args;
    std::string needle;
  } cases[] = {
      {graph + " --peer " + quote(base58(std::string("\x00\x85\x00" "abcde", 8))), "(varint not minimal)"},
      {graph + " --peer " + quote(base58(std::string("\x13\x02" "ab", 4))), "(multihash code is neither"},
      {graph + " --peer " + quote(std::string(200, 'z')), "(longer than any valid PeerId)"},
      {graph + " --blocklist " + quote(base58(std::string("\x00\x05" "abc", 5))), "--blocklist"},
      {graph + " --config " + put("random.toml", random_bytes(256, 21)), "random.toml"},
      {graph + " --config " + put("typed.toml", "[dedup]\nwindow = \"big\"\n"), "typed.toml:2: dedup.window: expected an integer"},
      {graph + " --input x=" + put("x.pb", random_bytes(256, 22)), "not a serialized onnx.TensorProto"},
      {"--sim " + put("random_deploy.toml", random_bytes(256, 23)), "random_deploy.toml"},
      {"--sim " + put("peers.toml", "[[node]]\npeer = \"id:a\"\ngraph = \"g.bb\"\n[governor]\nblocklist = [\"" +
                                         std::string(200, 'z') + "\"]\n"),
       "peers.toml:5: governor.blocklist[0]"},
  };
  for (const auto& c : cases) {
    const Ran ran = shell(std::string(BBRUN_PATH) + " " + c.args + " --virtual-time --duration 1s" + outputs,
                          fs::temp_directory_path() / ("bb_bad_input_cli_" + std::to_string(::getpid()) + ".err"));
    EXPECT_EQ(ran.exit, 2) << c.args << "\n" << ran.err;
    EXPECT_NE(ran.err.find(c.needle), std::string::npos) << "expected '" << c.needle << "' in:\n" << ran.err;
    EXPECT_FALSE(fs::exists(dir / "m.json")) << c.args;
    EXPECT_FALSE(fs::exists(dir / "t.jsonl")) << c.args;
  }
  // A deployment whose graph loads but whose kernel refuses its peer: the simulation
  // never starts, and the --trace file it had opened is gone.
  put("bad_peer.bb", forged(ping_with_peer(std::string("\x00\x05" "abc", 5))));
  const std::string deploy = put("deploy.toml", "[[node]]\npeer = \"id:a\"\ngraph = \"bad_peer.bb\"\n");
  const Ran ran = shell(std::string(BBRUN_PATH) + " --sim " + deploy + " --duration 1s" + outputs,
                        fs::temp_directory_path() / ("bb_bad_input_cli_" + std::to_string(::getpid()) + ".err"));
  EXPECT_EQ(ran.exit, 1) << ran.err;
  EXPECT_NE(ran.err.find("(digest length does not match the declared length)"), std::string::npos) << ran.err;
  EXPECT_FALSE(fs::exists(dir / "m.json"));
  EXPECT_FALSE(fs::exists(dir / "t.jsonl")) << "a simulation that never started leaves no trace file";
  fs::remove_all(dir);
}

TEST(BadInputCorpus, IsDeterministicAndLarge) {
  const auto a = corpus();
  const auto b = corpus();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bytes, b[i].bytes) << a[i].name;
    EXPECT_EQ(a[i].bb_bytes, b[i].bb_bytes) << a[i].name;
  }
  EXPECT_GE(a.size(), 30u);
}

INSTANTIATE_TEST_SUITE_P(Corpus, BadInput, ::testing::ValuesIn(corpus()),
                         [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

}  // namespace
}  // namespace bb::testing
