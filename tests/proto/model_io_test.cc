#include "bb/ir/model_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "bb/ir/atomic_writer.h"
#include "bb/ir/huge_pages.h"
#include "../support/temp_dir.h"
#include "../support/testdata.h"

namespace bb::ir {
namespace {

namespace fs = std::filesystem;

using ::bb::testing::TempDir;

class TestDataRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(TestDataRoundTrip, LoadsAndReserializesToIdenticalBytes) {
  auto bytes = read_file(GetParam(), LoadLimits{}.max_file_bytes);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto model = load_model(GetParam());
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_TRUE(serialize_deterministic(*model) == *bytes) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(OnnxTestData, TestDataRoundTrip, ::testing::ValuesIn(bb::testing::onnx_testdata_models()),
                         [](const auto& info) { return bb::testing::testdata_name(info.param); });

TEST(OnnxTestData, CorpusIsComplete) { EXPECT_EQ(bb::testing::onnx_testdata_models().size(), 1072u); }

TEST(ModelIo, ParsesTextModel) {
  constexpr std::string_view kText = R"(<ir_version: 8, opset_import: ["" : 13, "ai.bytesandbrains.wire" : 1]>
ping (float[1] x) => () {
  = ai.bytesandbrains.wire.Send<peer = "id:bob">(x)
})";
  auto model = parse_model(kText, ModelFormat::kText);
  ASSERT_TRUE(model) << model.error().message;
  EXPECT_EQ(model->ir_version(), 8);
  ASSERT_EQ(model->graph().node_size(), 1);
  EXPECT_EQ(model->graph().node(0).op_type(), "Send");
  EXPECT_EQ(model->graph().node(0).attribute(0).s(), "id:bob");
}

TEST(ModelIo, TextParseErrorReportsPosition) {
  auto model = parse_model("<ir_version: 8>\nbroken (float x) => (", ModelFormat::kText);
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().kind, IoError::Kind::kParse);
  EXPECT_NE(model.error().message.find("line"), std::string::npos) << model.error().message;
  EXPECT_EQ(model.error().message.find('\n'), std::string::npos);
}

// A parse error names the position and the offending token only: the rest of the line
// (a file lint was pointed at may hold anything, a secret too) is never echoed, and the
// token is escaped (no terminal control, no new line).
TEST(ModelIo, TextParseErrorQuotesOnlyTheOffendingToken) {
  auto model = parse_model("% password=hunter2 and more of the secret line\n", ModelFormat::kText);
  ASSERT_FALSE(model);
  const std::string& message = model.error().message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_NE(message.find("line 1, column 1"), std::string::npos) << message;
  EXPECT_NE(message.find("'%'"), std::string::npos) << message;
  auto escaped = parse_model("g \x1b[31m\n::error::x\n", ModelFormat::kText);
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().message.find('\x1b'), std::string::npos) << escaped.error().message;
  EXPECT_EQ(escaped.error().message.find('\n'), std::string::npos) << escaped.error().message;
}

// Opening a FIFO for reading waits for a writer: read_file refuses it at once instead.
TEST(ModelIo, ReadFileRefusesAFifoWithoutBlocking) {
  TempDir dir;
  const auto fifo = dir.path() / "graph.onnxtxt";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto bytes = read_file(fifo, 1 << 20);
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind, IoError::Kind::kUnreadable);
  EXPECT_NE(bytes.error().message.find("not a regular file"), std::string::npos) << bytes.error().message;
}

TEST(ModelIo, MapFileHoldsTheBytesAndRefusesWhatReadFileRefuses) {
  TempDir dir;
  std::string bytes(3 * 4096 + 17, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::ofstream(dir.path() / "g.onnx", std::ios::binary) << bytes;
  auto mapped = map_file(dir.path() / "g.onnx", 1 << 20);
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->bytes(), bytes);
  FileBytes moved = std::move(*mapped);  // the mapping moves with it
  EXPECT_EQ(moved.bytes(), bytes);
  EXPECT_TRUE(mapped->bytes().empty());
  std::ofstream(dir.path() / "empty.onnx").flush();
  auto empty = map_file(dir.path() / "empty.onnx", 1 << 20);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->bytes().empty());
  auto big = map_file(dir.path() / "g.onnx", 4096);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, IoError::Kind::kTooLarge);
  ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
  auto fifo = map_file(dir.path() / "fifo", 1 << 20);
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().kind, IoError::Kind::kUnreadable);
  auto missing = map_file(dir.path() / "missing.onnx", 1 << 20);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, IoError::Kind::kNotFound);
}

// A mapped input truncated under the process: SIGBUS, after the handler said why on
// stderr and removed the temporary file of the output being written.
TEST(ModelIoDeathTest, AMappedFileTruncatedUnderTheProcessEndsItWithoutLeavingOutput) {
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGBUS, nullptr, &current), 0);
  // A sanitizer's handler (SA_SIGINFO) stays, and map_file installs none of its own.
  if ((current.sa_flags & SA_SIGINFO) != 0) GTEST_SKIP() << "SIGBUS is the sanitizer's";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  const auto input = dir.path() / "g.onnx";
  std::ofstream(input, std::ios::binary) << std::string(64 * 1024, 'x');
  EXPECT_EXIT(
      {
        auto mapped = map_file(input, 1 << 20);
        auto writer = AtomicWriter::create(dir.path() / "out.bb");
        if (!mapped || !writer || !(*writer)->write("partial")) std::_Exit(1);
        std::filesystem::resize_file(input, 0);
        volatile char c = mapped->bytes()[40000];
        (void)c;
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "truncated or rewritten while this process read it; nothing was written");
  EXPECT_EQ(dir.entries(), 1);  // the input only: the output's temporary file is gone
  // A SIGBUS sent by another process ends it too (no faulting read runs again).
  EXPECT_EXIT(
      {
        auto mapped = map_file(input, 1 << 20);
        if (!mapped) std::_Exit(1);
        ::raise(SIGBUS);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "nothing was written");
}

TEST(ModelIo, SameFileFollowsSymlinks) {
  TempDir dir;
  std::ofstream(dir.path() / "a") << "x";
  std::ofstream(dir.path() / "b") << "x";
  fs::create_symlink(dir.path() / "a", dir.path() / "link");
  EXPECT_TRUE(same_file(dir.path() / "a", dir.path() / "link"));
  EXPECT_TRUE(same_file(dir.path() / "a", dir.path() / "." / "a"));
  EXPECT_FALSE(same_file(dir.path() / "a", dir.path() / "b"));
  EXPECT_FALSE(same_file(dir.path() / "a", dir.path() / "missing"));
}

// Regression (fuzz_model_compile): onnx's text parser throws on out-of-range numbers.
TEST(ModelIo, TextParserExceptionsBecomeParseErrors) {
  for (std::string_view text : {"<ir_version: 99999999999999999999999>\ng () => () {}",
                                R"(<ir_version: 8, opset_import: ["a" : 1, "b":er 1]>)" "\ng () => () {}",
                                R"(<ir_version: 8, opset_import: ["" : 13]>)" "\ng () => (y) { y = Constant<value_float = 1e999999>() }"}) {
    auto model = parse_model(text, ModelFormat::kText);
    ASSERT_FALSE(model) << text;
    EXPECT_EQ(model.error().kind, IoError::Kind::kParse) << text;
  }
}

// Regression: nested subgraphs in ONNX text overflowed the text parser's stack (exit 139).
TEST(ModelIo, TextNestingIsBoundedBeforeParsing) {
  const auto nested = [](int depth) {
    std::string body = "x = Identity(a)";
    for (int i = 0; i < depth; ++i)
      body = "x = If(c) <then_branch = g () => (float x) { " + body +
             " }, else_branch = h () => (float x) { x = Identity(a) }>";
    return std::string(R"(<ir_version: 8, opset_import: ["" : 13]>)") + "\nm (bool c, float a) => (float x) {\n" + body +
           "\n}\n";
  };
  EXPECT_TRUE(parse_model(nested(5), ModelFormat::kText));
  for (int depth : {40, 20000}) {
    auto model = parse_model(nested(depth), ModelFormat::kText);
    ASSERT_FALSE(model) << depth;
    EXPECT_EQ(model.error().kind, IoError::Kind::kParse);
    EXPECT_NE(model.error().message.find("nests brackets deeper than 33 levels"), std::string::npos)
        << model.error().message;
  }
  // Brackets inside string literals do not count.
  EXPECT_TRUE(parse_model(std::string(R"(<ir_version: 8, opset_import: ["" : 13]>)") +
                              "\ng (float a) => (float x) {\n x = Identity<s = \"" + std::string(500, '{') +
                              "\">(a)\n}\n",
                          ModelFormat::kText));
}

TEST(ModelIo, BinaryParseErrorReportsOffset) {
  auto model = parse_model(std::string("\x0a\xff\xff\xff\x0f garbage", 13), ModelFormat::kBinary);
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().kind, IoError::Kind::kParse);
  EXPECT_NE(model.error().message.find("byte"), std::string::npos) << model.error().message;
}

TEST(ModelIo, MissingFileIsNotFound) {
  auto model = load_model("/nonexistent/graph.onnx");
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().kind, IoError::Kind::kNotFound);
  EXPECT_NE(model.error().message.find("/nonexistent/graph.onnx"), std::string::npos);
}

TEST(ModelIo, FileOverLimitIsRefusedBeforeReading) {
  TempDir dir;
  const auto path = dir.path() / "big.onnx";
  std::ofstream(path) << std::string(4096, 'x');
  auto model = load_model(path, LoadLimits{.max_file_bytes = 1024});
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().kind, IoError::Kind::kTooLarge);
}

TEST(ModelIo, AtomicSaveWritesWholeFile) {
  TempDir dir;
  const auto path = dir.path() / "out.bb";
  onnx::ModelProto model;
  model.set_ir_version(8);
  ASSERT_TRUE(save_model(path, model));
  auto back = load_model(path);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ir_version(), 8);
  // Only the output is left in the folder: no temporary file.
  EXPECT_EQ(dir.entries(), 1);
}

TEST(ModelIo, FailedSaveLeavesNoFile) {
  if (::geteuid() == 0) {
    // root ignores directory permissions: use a path whose folder does not exist instead.
    TempDir dir;
    const auto path = dir.path() / "missing" / "out.bb";
    auto saved = write_file_atomic(path, "bytes");
    ASSERT_FALSE(saved);
    EXPECT_EQ(saved.error().kind, IoError::Kind::kWrite);
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(dir.entries(), 0);
    return;
  }
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);
  const auto path = dir.path() / "out.bb";
  auto saved = write_file_atomic(path, "bytes");
  ASSERT_FALSE(saved);
  EXPECT_FALSE(fs::exists(path));
}

TEST(ModelIo, FailedRenameLeavesNoTemporaryFile) {
  TempDir dir;
  // Renaming a file over a non-empty directory fails after the data was written.
  const auto path = dir.path() / "out.bb";
  fs::create_directory(path);
  std::ofstream(path / "keep") << "x";
  auto saved = write_file_atomic(path, "bytes");
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().kind, IoError::Kind::kWrite);
  EXPECT_EQ(dir.entries(), 1);
  EXPECT_TRUE(fs::is_directory(path));
}

TEST(ModelIo, SerializationIsDeterministic) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto* node = model.mutable_graph()->add_node();
  node->set_op_type("Relu");
  EXPECT_EQ(serialize_deterministic(model), serialize_deterministic(model));
  std::string appended = "prefix";
  append_serialized_deterministic(model, appended);
  EXPECT_EQ(appended, "prefix" + serialize_deterministic(model));
}

TEST(ModelIo, ArenaParseMatchesHeapParse) {
  const auto models = bb::testing::onnx_testdata_models();
  ASSERT_FALSE(models.empty());
  for (std::size_t k = 0; k < models.size(); k += 97) {
    auto bytes = read_file(models[k], LoadLimits{}.max_file_bytes);
    ASSERT_TRUE(bytes) << bytes.error().message;
    google::protobuf::Arena arena;
    auto model = load_model(models[k], arena);
    ASSERT_TRUE(model) << model.error().message;
    EXPECT_EQ((*model)->GetArena(), &arena);
    EXPECT_TRUE(serialize_deterministic(**model) == *bytes) << models[k];
  }
}

// The arena bbc keeps one large model on: blocks start at one huge page (2 MiB) and
// grow to 16 MiB, and a model parsed into it is the same model.
TEST(ModelIo, LargeModelArenaHoldsAModelInHugePageBlocks) {
  const auto options = large_model_arena_options();
  EXPECT_EQ(options.start_block_size, std::size_t{2} << 20);
  EXPECT_EQ(options.max_block_size, std::size_t{16} << 20);
  const auto models = bb::testing::onnx_testdata_models();
  ASSERT_FALSE(models.empty());
  google::protobuf::Arena arena(options);
  for (std::size_t k = 0; k < models.size(); k += 131) {
    auto bytes = read_file(models[k], LoadLimits{}.max_file_bytes);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto model = load_model(models[k], arena);
    ASSERT_TRUE(model) << model.error().message;
    EXPECT_TRUE(serialize_deterministic(**model) == *bytes) << models[k];
  }
  EXPECT_GE(arena.SpaceAllocated(), options.start_block_size);
  // A request past the largest block gets a block of its own.
  const std::uint64_t before = arena.SpaceAllocated();
  auto* big = google::protobuf::Arena::CreateArray<char>(&arena, options.max_block_size + 1);
  big[0] = big[options.max_block_size] = 'x';
  EXPECT_GT(arena.SpaceAllocated(), before + options.max_block_size);
}

// Tables of a huge page or more get huge pages (aligned to one); smaller ones are
// ordinary allocations; both hold what is put in them.
TEST(ModelIo, HugePageAllocatorAlignsLargeTables) {
  std::vector<std::uint64_t, HugePageAllocator<std::uint64_t>> large(kHugePageBytes / sizeof(std::uint64_t) + 1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % kHugePageBytes, 0u);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = i;
  EXPECT_EQ(large.back(), large.size() - 1);
  std::vector<int, HugePageAllocator<int>> small{1, 2, 3};
  EXPECT_EQ(small[2], 3);
  void* block = allocate_huge_pages(1);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % kHugePageBytes, 0u);
  static_cast<char*>(block)[kHugePageBytes - 1] = 'x';  // rounded up to a whole huge page
  free_huge_pages(block);
}

TEST(ModelIo, ArenaParseReadsTextAndReportsErrorsWithThePath) {
  google::protobuf::Arena arena;
  auto text = parse_model("<ir_version: 8, opset_import: [\"\" : 13]>\ng (float[1] x) => (float[1] y) { y = Relu(x) }",
                          ModelFormat::kText, arena);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_EQ((*text)->graph().node(0).op_type(), "Relu");

  TempDir dir;
  const auto path = dir.path() / "bad.onnx";
  std::ofstream(path) << std::string("\x0a\xff\xff\xff\x0f garbage", 13);
  auto bad = load_model(path, arena);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, IoError::Kind::kParse);
  EXPECT_EQ(bad.error().message.rfind(path.string() + ": not a binary ONNX model", 0), 0u) << bad.error().message;
  auto missing = load_model("/nonexistent/graph.onnx", arena);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, IoError::Kind::kNotFound);
}

}  // namespace
}  // namespace bb::ir
