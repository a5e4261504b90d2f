# The AWS side of lambda/: the custom runtime loop and the two bootstrap
# executables for provided.al2023. Included from lambda/CMakeLists.txt;
# tools/package-lambdas zips them.
if(NOT TARGET xr_cloud OR NOT TARGET xr_lambda)
  return()
endif()
add_library(xr_lambda_runtime STATIC ${CMAKE_CURRENT_LIST_DIR}/runtime.c)
target_include_directories(xr_lambda_runtime PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(xr_lambda_runtime PUBLIC xr_lambda xr_cloud)
# XROAD_DEFAULT_CA_BUNDLE is compiled into xr_cloud (src/cloud/aws_http.c:
# Amazon Linux's /etc/pki/tls/certs/ca-bundle.crt unless overridden).
foreach(fn report_crossing store_crossings)
  add_executable(bootstrap_${fn} ${CMAKE_CURRENT_LIST_DIR}/bootstrap_${fn}.c)
  target_link_libraries(bootstrap_${fn} PRIVATE xr_lambda_runtime)
  set_target_properties(bootstrap_${fn} PROPERTIES
                        RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lambda)
endforeach()
