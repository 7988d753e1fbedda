// Every identifier of the bb IR contract (docs/spec.md), defined once.
//
// No C++ string literal outside proto/ spells these values; a test enforces it.
#pragma once

#include <cstdint>
#include <string_view>

namespace bb::ir {

// ---- Domains -------------------------------------------------------------------
inline constexpr std::string_view kWireDomain = "ai.bytesandbrains.wire";
inline constexpr std::int64_t kWireDomainVersion = 1;
inline constexpr std::string_view kSyscallDomain = "ai.bytesandbrains.syscall";
inline constexpr std::int64_t kSyscallDomainVersion = 1;
// The default ONNX domain has two spellings: "" and "ai.onnx". Kernels register under
// kOnnxDomain; messages show kOnnxDomainAlias.
inline constexpr std::string_view kOnnxDomain = "";
inline constexpr std::string_view kOnnxDomainAlias = "ai.onnx";

// ---- Wire op types ---------------------------------------------------------------
inline constexpr std::string_view kSend = "Send";
inline constexpr std::string_view kRecv = "Recv";

// ---- Gate op types (syscall domain) ------------------------------------------------
inline constexpr std::string_view kPeerHealthGateTx = "PeerHealthGateTx";
inline constexpr std::string_view kBackoffGateTx = "BackoffGateTx";
inline constexpr std::string_view kDedupGateRx = "DedupGateRx";
inline constexpr std::string_view kPeerHealthGateRx = "PeerHealthGateRx";
inline constexpr std::string_view kBackoffGateRx = "BackoffGateRx";

// ---- Other syscall op types (docs/ops.md) -----------------------------------------------
inline constexpr std::string_view kPulse = "Pulse";
inline constexpr std::string_view kInterval = "Interval";
inline constexpr std::string_view kAfter = "After";
inline constexpr std::string_view kOnTrigger = "OnTrigger";
inline constexpr std::string_view kPassThrough = "PassThrough";
inline constexpr std::string_view kTee = "Tee";
inline constexpr std::string_view kConstant = "Constant";
inline constexpr std::string_view kClock = "Clock";
inline constexpr std::string_view kLog = "Log";
inline constexpr std::string_view kIncrMetric = "IncrMetric";
inline constexpr std::string_view kPeers = "Peers";
inline constexpr std::string_view kSamplePeers = "SamplePeers";
inline constexpr std::string_view kAggregate = "Aggregate";
inline constexpr std::string_view kStateGet = "StateGet";
inline constexpr std::string_view kStateSet = "StateSet";
inline constexpr std::string_view kRecord = "Record";

// ---- Wire attributes ----------------------------------------------------------------
inline constexpr std::string_view kAttrPeer = "peer";             // STRING, multihash bytes in .s
inline constexpr std::string_view kAttrDeadlineNs = "deadline_ns"; // INT, relative ns
inline constexpr std::string_view kAttrChannel = "channel";       // STRING, default ""

// ---- Gate stamps: INT = 1 on the gated wire op ------------------------------------------
inline constexpr std::string_view kStampPeerHealthTx = "peer_health_tx_gated";
inline constexpr std::string_view kStampBackoffTx = "backoff_tx_gated";
inline constexpr std::string_view kStampDedupRx = "dedup_rx_gated";
inline constexpr std::string_view kStampPeerHealthRx = "peer_health_rx_gated";
inline constexpr std::string_view kStampBackoffRx = "backoff_rx_gated";
// STRING on every gate: the name of the wire op it guards.
inline constexpr std::string_view kAttrSource = "source";
// INT = 1 on the Tx gates of a dynamic-destination Send.
inline constexpr std::string_view kAttrDynamicPeers = "dynamic_peers";

// ---- Gate output infixes: outputs are `<key>#<infix>.<j>` -----------------------------------
inline constexpr std::string_view kOutPeerHealthTx = "peer_health_tx_gated";
inline constexpr std::string_view kOutBackoffTx = "backoff_tx_gated";
inline constexpr std::string_view kOutDedupRx = "dedup_rx_out";
inline constexpr std::string_view kOutPeerHealthRx = "peer_health_rx_out";
inline constexpr std::string_view kOutBackoffRx = "backoff_rx_out";
inline constexpr char kGateNameSeparator = '@';   // gate node name: `<OpType>@<key>`
inline constexpr char kGateOutputSeparator = '#'; // gate output: `<key>#<infix>.<j>`

// ---- The passes that insert the gates (listed in the passport's `passes`) ---------------------
inline constexpr std::string_view kPassInsertDedupGateRx = "insert-dedup-gate-rx";
inline constexpr std::string_view kPassInsertPeerHealthGateRx = "insert-peer-health-gate-rx";
inline constexpr std::string_view kPassInsertBackoffGateRx = "insert-backoff-gate-rx";
inline constexpr std::string_view kPassInsertPeerHealthGateTx = "insert-peer-health-gate-tx";
inline constexpr std::string_view kPassInsertBackoffGateTx = "insert-backoff-gate-tx";

// ---- Other syscall attributes (docs/ops.md) ----------------------------------------------
inline constexpr std::string_view kAttrPeriodNs = "period_ns";
inline constexpr std::string_view kAttrCount = "count";
inline constexpr std::string_view kAttrDelayNs = "delay_ns";
inline constexpr std::string_view kAttrValue = "value";
inline constexpr std::string_view kAttrValueBytes = "value_bytes";
inline constexpr std::string_view kAttrValueString = "value_string";
inline constexpr std::string_view kAttrValueInt = "value_int";
inline constexpr std::string_view kAttrMessage = "message";
inline constexpr std::string_view kAttrLevel = "level";
inline constexpr std::string_view kAttrName = "name";
inline constexpr std::string_view kAttrDelta = "delta";
inline constexpr std::string_view kAttrPeers = "peers";
inline constexpr std::string_view kAttrK = "k";
inline constexpr std::string_view kAttrMode = "mode";
inline constexpr std::string_view kModeMean = "mean";
inline constexpr std::string_view kModeSum = "sum";
inline constexpr std::string_view kAttrQuorum = "quorum";
inline constexpr std::string_view kAttrTimeoutNs = "timeout_ns";

// ---- Canonical names for unnamed wire ops: `Send_<i>`, `Recv_<i>`; collisions get `~2`… ---
inline constexpr char kUnnamedIndexSeparator = '_';
inline constexpr char kCollisionSeparator = '~';

// ---- Passport (model metadata_props) ---------------------------------------------------
inline constexpr std::string_view kPassportCompiled = "ai.bytesandbrains.compiled";
inline constexpr std::string_view kPassportVersion = "v1";
inline constexpr std::string_view kPassportCompiler = "ai.bytesandbrains.compiler";
inline constexpr std::string_view kPassportPasses = "ai.bytesandbrains.passes";
inline constexpr std::string_view kPassportDigest = "ai.bytesandbrains.graph_sha256";
inline constexpr std::string_view kCompilerName = "bbc";

// ---- Peer text forms -------------------------------------------------------------------
inline constexpr std::string_view kIdPrefix = "id:";

// ---- ONNX facts ------------------------------------------------------------------------
// onnx 1.12's checker accepts ir_version up to 8.
inline constexpr std::int64_t kMaxIrVersion = 8;

}  // namespace bb::ir
