// `bbrun keygen FILE [--force]`: a new Ed25519 node key in FILE (PEM, mode 0600); its
// PeerId on stdout, the only output, so scripts can capture it. Exit 0, or 2 when the
// file cannot be written or is already there (without --force).
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "bb/net/identity.h"
#include "options.h"

namespace bb::bbrun {

CLI::App* add_keygen_command(CLI::App& app, KeygenOptions& options) {
  auto* keygen = app.add_subcommand("keygen", "write a new node key (Ed25519, PEM, mode 0600) and print its PeerId");
  keygen->add_option("FILE", options.file, "where to write the key")->required();
  keygen->add_flag("--force", options.force, "replace FILE if it exists (the node gets a new PeerId)");
  return keygen;
}

int run_keygen(const KeygenOptions& options) {
  auto key = net::HostKey::generate();
  if (!key) {
    spdlog::error("keygen: {}", key.error().message);
    return kExitLoad;
  }
  if (auto written = net::write_key_file(options.file, *key, options.force); !written) {
    spdlog::error("keygen: {}", written.error().message);
    return kExitUsage;  // an I/O error, as for any file bbrun cannot write
  }
  std::cout << key->peer_id().to_text() << '\n';
  return kExitOk;
}

}  // namespace bb::bbrun
