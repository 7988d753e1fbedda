// The op manifest of `bbc compile --ops FILE` and `bbc lint --ops FILE`: a TOML file
// describing the ops of custom domains (domain, op type, input and output counts,
// attributes with their types), so bbc checks them as strictly as bb's own ops. See
// docs/extending.md for the format.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/op_table.h"

namespace bb::compiler {

class OpManifest {
 public:
  OpManifest() = default;
  OpManifest(OpManifest&&) = default;
  OpManifest& operator=(OpManifest&&) = default;
  OpManifest(const OpManifest&) = delete;  // ops_ views its own storage
  OpManifest& operator=(const OpManifest&) = delete;

  // Reads and checks `path`. Errors name the file, the line and the key:
  // "ops.toml:7: op[1].inputs: expected an integer or a table {min, max}".
  static Expected<OpManifest, std::string> load(const std::string& path);
  // The same from text (`path` names it in errors).
  static Expected<OpManifest, std::string> parse(std::string_view text, const std::string& path);

  const std::string& path() const { return path_; }
  // Whether any op of `domain` is declared: then its undeclared ops are BB003.
  bool declares_domain(std::string_view domain) const;
  // The declared op, as a row like the bb op table's; null when not declared.
  const ir::OpSpec* find(std::string_view domain, std::string_view op_type) const;
  const std::vector<ir::OpSpec>& ops() const { return ops_; }

 private:
  std::string path_;
  // Stable storage for the views in ops_ (a deque never moves its elements).
  std::deque<std::string> strings_;
  std::deque<std::vector<ir::AttrSpec>> attributes_;
  std::vector<ir::OpSpec> ops_;
};

}  // namespace bb::compiler
