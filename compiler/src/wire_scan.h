// What validate's walk of the main graph learns for canonicalize and the wire index
// (wire_index.h), so that neither walks and hashes every node again: the positions of
// the Sends, Recvs, gates and peer lists, every reader of a Recv's or rx gate's output
// (validate resolves each input to its producer anyway), and a hash of every node's
// name (canonicalize's test for a wire op's name taken by another node).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/compiler/validate.h"

namespace bb::compiler {

// Recorded only when the index's ordered walk would find the same: a main graph in
// topological order, without subgraphs, no Recv or rx gate with an empty output. Valid
// while that node order holds (canonicalize keeps it unless it sorts the graph: it
// renames nodes, not values).
struct WireScan {
  struct Reader {
    std::string_view value;  // the input, viewing the reader's string
    int node;                // position of the reader
    int slot;                // its input
  };
  std::vector<int> sends, recvs, tx_gates, rx_gates;  // positions, ascending
  std::vector<int> peer_lists;                        // Peers nodes, ascending
  // Peers nodes left as bytes (verbatim.h): their positions among all the main graph's
  // nodes, ascending.
  std::vector<int> peer_list_entries;
  std::vector<Reader> readers;                        // in node order, then input order
  // Per node, name_hash(its name as validate saw it): equal names hash equally, so a
  // name whose hash no wire op's name has is no wire op's name.
  std::vector<std::uint32_t> name_hashes;  // (32 bits: 4 MB at a million nodes, not 8)

  static std::uint32_t name_hash(std::string_view name);
};

// validate_model, recording the main graph's WireScan on the way; false (and `scan`
// empty) when the graph is not one a scan describes.
bool validate_and_scan(const onnx::ModelProto& model, const ValidateOptions& options, DiagnosticEngine& diags,
                       WireScan& scan);

class VerbatimNodes;

// validate_and_scan for a source model loaded with its main graph's nodes as bytes
// (verbatim.h): the main graph's walk parses into the graph's node list the nodes a pass
// needs and records the scan in positions of that list; the rest of the model is
// validated as validate_model does. False when the walk does not hold (a finding in the
// main graph, or what only the whole graph's walk settles): then the findings, the scan,
// the graph's node list and `verbatim` are to be dropped, and the model parsed whole.
bool validate_verbatim(onnx::ModelProto& model, VerbatimNodes& verbatim, const ValidateOptions& options,
                       DiagnosticEngine& diags, WireScan& scan);

}  // namespace bb::compiler
