// The contract identifiers (docs/spec.md) live only in proto/: no C++ string literal in compiler/, runtime/,
// ops/ or tools/ may equal a domain, an op type, a stamp or a passport key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The identifiers, read from the one header that defines them.
std::map<std::string, std::string> contract_identifiers() {
  // Attribute names that are also ordinary words of the JSON outputs (metrics, trace,
  // SARIF: "peer", "source", "name", "count", …) and the generic §5.5 attributes are
  // not contract identifiers in the sense of this check; nor is the empty default domain.
  static const std::set<std::string> kOrdinaryWords = {
      "kAttrPeer",   "kAttrChannel", "kAttrSource",     "kAttrPeriodNs",   "kAttrCount",      "kAttrDelayNs",
      "kAttrValue",  "kAttrValueBytes", "kAttrValueString", "kAttrValueInt", "kAttrMessage", "kAttrLevel",
      "kAttrName",   "kAttrDelta",   "kAttrPeers",      "kAttrK",          "kAttrMode",       "kModeMean",
      "kModeSum",    "kIdPrefix",    "kOnnxDomain",  "kOnnxDomainAlias", "kCompilerName"};
  std::map<std::string, std::string> ids;
  const std::regex decl(R"re(inline constexpr std::string_view (k\w+) = "([^"]*)";)re");
  const std::string header = read_all(fs::path(BB_SOURCE_DIR) / "proto/include/bb/ir/names.h");
  for (std::sregex_iterator it(header.begin(), header.end(), decl), end; it != end; ++it) {
    if (!kOrdinaryWords.count((*it)[1])) ids[(*it)[2]] = (*it)[1];
  }
  return ids;
}

TEST(Identifiers, HeaderDefinesTheContract) {
  const auto ids = contract_identifiers();
  for (const char* expected : {"ai.bytesandbrains.wire", "ai.bytesandbrains.syscall", "Send", "Recv",
                               "BackoffGateTx", "backoff_tx_gated", "dynamic_peers", "ai.bytesandbrains.passes",
                               "ai.bytesandbrains.graph_sha256"})
    EXPECT_TRUE(ids.count(expected)) << expected;
}

TEST(Identifiers, NoLiteralOutsideProto) {
  const auto ids = contract_identifiers();
  // A string literal (ordinary or raw strings are not used for identifiers).
  const std::regex literal(R"re("((?:[^"\\\n]|\\.)*)")re");
  std::vector<std::string> offences;
  for (const char* dir : {"compiler", "runtime", "ops", "tools"}) {
    const fs::path root = fs::path(BB_SOURCE_DIR) / dir;
    if (!fs::exists(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const auto ext = entry.path().extension();
      if (ext != ".cc" && ext != ".h" && ext != ".cpp" && ext != ".hpp") continue;
      // The ai.onnx kernels spell ONNX's op names ("Constant", "Log"), which are ONNX's
      // identifiers, not bb's, even where a bb op shares the word.
      if (entry.path().parent_path().filename() == "onnx") continue;
      const std::string text = read_all(entry.path());
      for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
        auto found = ids.find((*it)[1]);
        if (found != ids.end())
          offences.push_back(fs::relative(entry.path(), BB_SOURCE_DIR).string() + ": \"" + found->first +
                             "\" (use bb::ir::" + found->second + ")");
      }
    }
  }
  EXPECT_TRUE(offences.empty()) << [&] {
    std::string all;
    for (const auto& o : offences) all += o + "\n";
    return all;
  }();
}

}  // namespace
