// Validation shared by `bbc compile` (the `validate` pass) and `bbc lint`: every rule
// of docs/diagnostics.md, collecting ALL findings (lint needs every one; compile stops after
// validate when any is an error).
#pragma once

#include <string_view>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/op_manifest.h"

namespace bb::compiler {

struct ValidateOptions {
  // Report BB030 (unnamed nodes): `bbc lint --pedantic`.
  bool pedantic = false;
  // The path as given: a `.bb` file without a passport is BB020.
  std::string_view path;
  // `--ops FILE`: custom-domain ops it describes are checked like bb ops (BB017);
  // null: custom-domain ops are checked for structure only.
  const OpManifest* ops = nullptr;
  // On compiled input, every Send and Recv must be behind its full gate chain whatever
  // passes the passport lists (lint: the list is a label, the chains are the
  // structure). False for compile's `validate` pass: it inserts the gates a `--skip`
  // left out, and verify-gates checks the result.
  bool every_gate = true;
};

// Runs every rule on `model` and reports to `diags`. On compiled input (the model
// carries the passport) BB020 and the gate contracts BB012–BB014 come first.
void validate_model(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags);

// The structural rules only (no compiled-input checks): what must hold after every
// pass (the pass manager's --verify-each).
void validate_structure(const onnx::ModelProto& model, DiagnosticEngine& diags);

// Only the compiled-input checks (BB020, BB012–BB014); a no-op on an uncompiled model
// unless `path` ends in `.bb` (BB020).
void validate_compiled(const onnx::ModelProto& model, std::string_view path, DiagnosticEngine& diags,
                       bool every_gate = true);

}  // namespace bb::compiler
