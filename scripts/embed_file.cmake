# Turns INPUT into a C++ source defining `std::string_view openapi_document()`.
file(READ ${INPUT} CONTENT HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," BYTES "${CONTENT}")
file(WRITE ${OUTPUT} "#include <string_view>\nnamespace {\nconstexpr char kBytes[] = {${BYTES}0};\n}\nstd::string_view openapi_document() { return {kBytes, sizeof(kBytes) - 1}; }\n")
