bb_test(net_identity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/identity_test.cc ${CMAKE_CURRENT_LIST_DIR}/certificate_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/tls_test.cc
  LIBS bb::net_identity gRPC::grpc++ OpenSSL::Crypto)
if(TARGET bbrun)
  bb_test(net_keygen_cli_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/keygen_cli_test.cc LIBS bb::net_identity)
  target_compile_definitions(net_keygen_cli_test PRIVATE BBRUN_PATH="$<TARGET_FILE:bbrun>")
  add_dependencies(net_keygen_cli_test bbrun)
endif()
