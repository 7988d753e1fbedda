// The external test corpus: every model.onnx of Debian's libonnx-testdata.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace bb::testing {

inline constexpr const char* kOnnxTestDataDir = "/usr/include/onnx/backend/test/data";

// Sorted paths (the folder is a symbolic link: follow it).
inline std::vector<std::string> onnx_testdata_models() {
  std::vector<std::string> out;
  std::error_code ec;
  const auto options = std::filesystem::directory_options::follow_directory_symlink |
                       std::filesystem::directory_options::skip_permission_denied;
  for (std::filesystem::recursive_directory_iterator it(kOnnxTestDataDir, options, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename() == "model.onnx") out.push_back(it->path().string());
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
