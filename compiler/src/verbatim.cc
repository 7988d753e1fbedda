#include "verbatim.h"

#include <algorithm>
#include <utility>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/model_io.h"
#include "bb/ir/passport.h"
#include "bb/ir/peer_id.h"  // append_uvarint: protobuf varints are the same unsigned LEB128
#include "bb/ir/wire_format.h"
#include "model_bytes.h"

namespace bb::compiler {
namespace {

// NodeProto's fields (onnx.proto), every one length-delimited.
enum NodeField : int { kInput = 1, kOutput = 2, kName = 3, kOpType = 4, kAttribute = 5, kDocString = 6, kDomain = 7 };
constexpr std::uint32_t kGraphNodeTag = ir::make_tag(ir::kGraphNodeField, ir::WireType::kLengthDelimited);

// Reads a varint; `minimal` turns false when it has more bytes than its value needs
// (protobuf writes the fewest). Tags and lengths of names are mostly one byte.
inline bool read_varint(const char*& p, const char* end, std::uint64_t& value, bool& minimal) {
  if (p < end && static_cast<std::uint8_t>(*p) < 0x80u) {
    value = static_cast<std::uint8_t>(*p++);
    return true;
  }
  value = 0;
  const char* const start = p;
  for (int shift = 0; p < end && shift < 64; shift += 7) {
    const auto byte = static_cast<std::uint8_t>(*p++);
    value |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80u) == 0) {
      if (p - start > 1 && byte == 0) minimal = false;
      return true;
    }
  }
  return false;
}

bool length_delimited(std::uint64_t tag) {
  return ir::tag_type(static_cast<std::uint32_t>(tag)) == ir::WireType::kLengthDelimited;
}

// The entry's header (tag and length): the bytes after it, or false.
bool node_body(std::string_view entry, std::string_view& body, bool& minimal) {
  const char* p = entry.data();
  const char* const end = p + entry.size();
  std::uint64_t tag = 0, length = 0;
  if (!read_varint(p, end, tag, minimal) || tag != kGraphNodeTag) return false;
  if (!read_varint(p, end, length, minimal) || length != static_cast<std::uint64_t>(end - p)) return false;
  body = std::string_view(p, static_cast<std::size_t>(length));
  return true;
}

// One field of a message's bytes: its number, wire type, and bytes from tag to end;
// `value` the payload of a length-delimited one.
struct WireField {
  int number = 0;
  ir::WireType type = ir::WireType::kVarint;
  std::uint64_t varint = 0;
  std::string_view value;
  const char* begin = nullptr;
  const char* end = nullptr;
};

// Reads the field at `p` (not a group); false when malformed.
bool next_field(const char*& p, const char* end, WireField& f) {
  bool minimal = true;
  std::uint64_t tag = 0;
  f.begin = p;
  if (!read_varint(p, end, tag, minimal) || tag > 0xffffffffu) return false;
  f.number = ir::tag_field(static_cast<std::uint32_t>(tag));
  f.type = ir::tag_type(static_cast<std::uint32_t>(tag));
  switch (f.type) {
    case ir::WireType::kVarint:
      if (!read_varint(p, end, f.varint, minimal)) return false;
      break;
    case ir::WireType::kFixed64:
    case ir::WireType::kFixed32: {
      const std::ptrdiff_t size = f.type == ir::WireType::kFixed64 ? 8 : 4;
      if (end - p < size) return false;
      p += size;
      break;
    }
    case ir::WireType::kLengthDelimited: {
      std::uint64_t length = 0;
      if (!read_varint(p, end, length, minimal) || length > static_cast<std::uint64_t>(end - p)) return false;
      f.value = std::string_view(p, static_cast<std::size_t>(length));
      p += length;
      break;
    }
    default: return false;
  }
  f.end = p;
  return true;
}

void append_length_delimited(std::string& out, int field, std::string_view bytes) {
  append_uvarint(out, ir::make_tag(field, ir::WireType::kLengthDelimited));
  append_uvarint(out, bytes.size());
  out.append(bytes);
}

// AttributeProto's fields (onnx.proto) that rewrite_strings reads.
constexpr int kAttributeName = 1, kAttributeStrings = 9, kAttributeType = 20;

}  // namespace

bool decode_node_entry(std::string_view entry, NodeView& view) {
  view.name = view.op_type = view.domain = {};
  view.inputs.clear();
  view.outputs.clear();
  view.has_attributes = false;
  bool minimal = true, ordered = true;
  std::string_view body;
  if (!node_body(entry, body, minimal)) return false;
  const char* p = body.data();
  const char* const end = p + body.size();
  int last = 0;
  while (p < end) {
    std::uint64_t tag = 0, length = 0;
    if (!read_varint(p, end, tag, minimal) || tag > 0xffffffffu || !length_delimited(tag)) return false;
    if (!read_varint(p, end, length, minimal) || length > static_cast<std::uint64_t>(end - p)) return false;
    const std::string_view value(p, static_cast<std::size_t>(length));
    p += length;
    const int field = ir::tag_field(static_cast<std::uint32_t>(tag));
    const bool repeated = field == kInput || field == kOutput || field == kAttribute;
    if (field < last || (field == last && !repeated)) ordered = false;
    last = field;
    switch (field) {
      case kInput: view.inputs.push_back(value); break;
      case kOutput: view.outputs.push_back(value); break;
      case kName: view.name = value; break;  // (a repeated singular field: protobuf keeps the last)
      case kOpType: view.op_type = value; break;
      case kAttribute: view.has_attributes = true; break;
      case kDocString: break;
      case kDomain: view.domain = value; break;
      default: return false;  // a field this protobuf does not know: kept as an unknown field
    }
  }
  view.canonical = minimal && ordered && !view.has_attributes;
  return true;
}

VerbatimNodes::VerbatimNodes(ir::FileBytes file, ir::ModelWithoutNodes parsed, const ir::ModelLimits& limits)
    : file_(std::move(file)),
      bytes_(file_.bytes()),
      limits_(limits),
      body_(parsed.graph_body),
      begin_(std::move(parsed.node_begin)),
      end_(std::move(parsed.node_end)) {}

std::string_view VerbatimNodes::node_bytes(int position) const {
  std::string_view body;
  bool minimal = true;
  return node_body(entry(position), body, minimal) ? body : std::string_view();
}

// Calls f(field, value) for each length-delimited field of a node's bytes, up to the
// first that is not (decode_node_entry says what else the bytes hold).
template <class F>
static void for_each_field(std::string_view body, F&& f) {
  const char* p = body.data();
  const char* const end = p + body.size();
  bool minimal = true;
  while (p < end) {
    std::uint64_t tag = 0, length = 0;
    if (!read_varint(p, end, tag, minimal) || !length_delimited(tag) || !read_varint(p, end, length, minimal) ||
        length > static_cast<std::uint64_t>(end - p))
      return;
    f(ir::tag_field(static_cast<std::uint32_t>(tag)), std::string_view(p, static_cast<std::size_t>(length)));
    p += length;
  }
}

std::string_view VerbatimNodes::name(int position) const {
  std::string_view name;
  for_each_field(node_bytes(position), [&](int field, std::string_view value) {
    if (field == kName) name = value;
  });
  return name;
}

bool VerbatimNodes::parse_whole(onnx::ModelProto& model, DiagnosticEngine& diags, std::string_view path) {
  auto& nodes = *model.mutable_graph()->mutable_node();
  nodes.Clear();
  nodes.Reserve(size());
  for (int i = 0; i < size(); ++i) {
    if (!parse(i, *nodes.Add())) {
      // What the whole file's parse says, where it says it.
      auto whole = ir::parse_model(bytes_, ir::ModelFormat::kBinary, limits_.load());
      report_load_error(diags, whole ? ir::IoError{ir::IoError::Kind::kParse, "a node does not parse"} : whole.error(),
                        path);
      return false;
    }
  }
  kept_.clear();
  kept_position_.clear();
  if (auto within = ir::check_model_limits(model, limits_); !within) {
    report_limit_error(diags, within.error());
    return false;
  }
  return true;
}

void VerbatimNodes::keep(const onnx::NodeProto* node, int position) {
  kept_.push_back(node);
  kept_position_.push_back(position);
}

void VerbatimNodes::replace(int position, const onnx::NodeProto& node) {
  append_field(ir::kGraphNodeField, node, node.ByteSizeLong(), replaced_);
  end_replacement(position);
}

void VerbatimNodes::end_replacement(int position) {
  replaced_position_.push_back(position);
  replaced_end_.push_back(replaced_.size());
}

VerbatimNodes::Rewrite VerbatimNodes::rewrite_strings(
    int position, std::string_view attribute,
    const std::function<std::optional<std::string>(std::string_view)>& rewrite) {
  const std::string_view body = node_bytes(position);
  if (body.empty()) return Rewrite::kUndecodable;
  // The first attribute of that name: where its field is.
  const char* const end = body.data() + body.size();
  WireField target;
  bool found = false;
  for (const char* p = body.data(); p < end && !found;) {
    WireField f;
    if (!next_field(p, end, f)) return Rewrite::kUndecodable;
    if (f.number != kAttribute) continue;
    if (f.type != ir::WireType::kLengthDelimited) return Rewrite::kUndecodable;
    for (const char* q = f.value.data(); q < f.value.data() + f.value.size();) {
      WireField a;
      if (!next_field(q, f.value.data() + f.value.size(), a)) return Rewrite::kUndecodable;
      if (a.number == kAttributeName && a.value == attribute) {
        target = f;
        found = true;
        break;
      }
    }
  }
  if (!found) return Rewrite::kUnchanged;
  // Its type, and its strings rewritten in place of the old ones.
  const char* const attr_end = target.value.data() + target.value.size();
  std::string attr;
  bool strings = false, changed = false;
  for (const char* q = target.value.data(); q < attr_end;) {
    WireField a;
    if (!next_field(q, attr_end, a)) return Rewrite::kUndecodable;
    if (a.number == kAttributeType && a.type == ir::WireType::kVarint)
      strings = a.varint == static_cast<std::uint64_t>(onnx::AttributeProto::STRINGS);
    if (a.number == kAttributeStrings && a.type == ir::WireType::kLengthDelimited) {
      if (auto replaced = rewrite(a.value)) {
        changed = changed || *replaced != a.value;
        append_length_delimited(attr, kAttributeStrings, *replaced);
        continue;
      }
    }
    attr.append(a.begin, a.end);
  }
  if (!strings || !changed) return Rewrite::kUnchanged;
  std::string node;
  node.reserve(body.size() + attr.size());
  node.append(body.data(), target.begin);
  append_length_delimited(node, kAttribute, attr);
  node.append(target.end, end);
  append_length_delimited(replaced_, ir::kGraphNodeField, node);
  end_replacement(position);
  return Rewrite::kReplaced;
}

bool VerbatimNodes::parse(int position, onnx::NodeProto& node) const {
  const int depth = limits_.max_recursion_depth - 2;  // model, graph, node
  if (depth < 1) return false;
  const std::string_view bytes = node_bytes(position);
  // A nested message takes two bytes at least (tag, length): an entry shorter than
  // twice both limits nests within them, and parses straight from its bytes (the
  // CodedInputStream below, for its limit, was a third of a node's parse).
  const auto shallow = static_cast<std::size_t>(
      2 * std::min(depth, google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit()));
  if (bytes.size() < shallow) {
    node.Clear();
    return node.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(depth);
  return node.MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage();
}

}  // namespace bb::compiler
