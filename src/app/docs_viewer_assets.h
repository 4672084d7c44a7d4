// The files of src/app/docs_viewer/, compiled into the binary at build time
// (cmake/embed_assets.cmake writes the definitions).
#pragma once

#include <string_view>

namespace tenantd::app {

struct DocsViewerAsset {
  std::string_view name;  // file name: "viewer.js"
  std::string_view content_type;
  std::string_view bytes;
};

// nullptr when there is no such file.
const DocsViewerAsset* FindDocsViewerAsset(std::string_view name);

}  // namespace tenantd::app
