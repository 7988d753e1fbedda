# `cmake --install` puts the tools, headers and a package config in place so another
# project can `find_package(bb)` and register its own kernels.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY proto/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The out-of-tree kernel example docs/extending.md walks through.
install(DIRECTORY examples/custom_kernel DESTINATION ${CMAKE_INSTALL_DATADIR}/bb/examples)
install(FILES ${BB_PROTO_GENERATED_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bb)
foreach(dir compiler runtime ops)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${dir}/include)
    install(DIRECTORY ${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()

get_property(bb_export_targets GLOBAL PROPERTY BB_EXPORT_TARGETS)
install(TARGETS bb_warnings ${bb_export_targets} EXPORT bbTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/bb-objects
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bbTargets NAMESPACE bb:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bb)
configure_package_config_file(cmake/bbConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bbConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bb)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bbConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bbConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/bbConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/bb)
