bb_test(net_identity_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/identity_test.cc ${CMAKE_CURRENT_LIST_DIR}/certificate_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/tls_test.cc
  LIBS bb::net_identity gRPC::grpc++ OpenSSL::Crypto)
