# bb_net_identity — node keys, PeerIds of keys, certificates bound to PeerIds (the
# libp2p TLS extension) and gRPC mutual-TLS credentials. See docs/wire.md, "Identity".
add_library(bb_net_identity STATIC
  ${CMAKE_CURRENT_LIST_DIR}/src/identity.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/certificate.cc
  ${CMAKE_CURRENT_LIST_DIR}/src/tls.cc)
add_library(bb::net_identity ALIAS bb_net_identity)
target_include_directories(bb_net_identity PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}/include>
  $<INSTALL_INTERFACE:include>)
target_link_libraries(bb_net_identity PUBLIC bb::ir gRPC::grpc++ PRIVATE OpenSSL::Crypto bb_warnings)
set_target_properties(bb_net_identity PROPERTIES POSITION_INDEPENDENT_CODE ON EXPORT_NAME net_identity)
set_property(GLOBAL APPEND PROPERTY BB_EXPORT_TARGETS bb_net_identity)
