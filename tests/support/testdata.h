// The external test corpus: every model.onnx of Debian's libonnx-testdata.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace bb::testing {

inline constexpr const char* kOnnxTestDataDir = "/usr/include/onnx/backend/test/data";

// Sorted paths. The corpus is laid out as `<suite>/<case>/model.onnx` (the folder is a
// symbolic link: follow it). Every test process registers the whole list, so it looks
// for the model in each case folder instead of walking every folder below: a recursive
// walk opened ~2,200 folders (each case's data sets too) and was half the time of a
// process that runs one corpus test. `CorpusIsComplete` checks the count.
inline std::vector<std::string> onnx_testdata_models() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  const auto options = fs::directory_options::skip_permission_denied;
  for (fs::directory_iterator suite(kOnnxTestDataDir, options, ec), end; !ec && suite != end; suite.increment(ec)) {
    std::error_code case_ec;
    for (fs::directory_iterator test_case(suite->path(), options, case_ec); !case_ec && test_case != end;
         test_case.increment(case_ec)) {
      fs::path model = test_case->path() / "model.onnx";
      std::error_code stat_ec;
      if (fs::is_regular_file(model, stat_ec)) out.push_back(model.string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A test name from a model path: the folder below `data/`, alphanumerics only.
inline std::string testdata_name(const std::string& path) {
  std::string rel = path.substr(std::string(kOnnxTestDataDir).size() + 1);
  rel = rel.substr(0, rel.rfind('/'));
  for (char& c : rel)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return rel;
}

}  // namespace bb::testing
