#include "cli/front_door.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cli/exit_codes.h"

namespace sp::cli {

const ToolInfo kTools[] = {
    {"ingest", "read files, stdin, Kafka, MQTT or HTTP and write NDJSON records"},
    {"validate", "check records (well-formed JSON, JSON Schema); bad ones go to the dead-letter output"},
    {"enrich", "join records with lookup tables and add computed fields"},
    {"filter", "keep records matching a WHERE expression; project fields with SELECT"},
    {"agg", "windowed group-by aggregation on event time, or streaming SQL"},
    {"match", "find patterns of events per key within a time bound"},
    {"learn", "train an online model on the stream"},
    {"predict", "score records with a model; detect anomalies"},
    {"sink", "write records to files, SQLite, PostgreSQL, Redis, Kafka, MQTT, S3 or HTTP"},
    {"serve", "serve the stream: HTTP API, Server-Sent Events, metrics, live dashboard"},
};
const int kToolCount = sizeof kTools / sizeof kTools[0];

namespace {

const char* kUsage =
    "sp: streampipe, data pipelines in the Unix shell\n"
    "\n"
    "Usage: sp TOOL [ARGS...]     run sp-TOOL with ARGS\n"
    "       sp                    list the installed tools\n"
    "       sp help TOOL          show the manual page of sp-TOOL\n"
    "       sp --help | --version\n";

std::string self_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = 0;
  std::string p(buf);
  return p.substr(0, p.rfind('/'));
}

bool is_executable(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// The program's path: next to `sp` first (a build directory or an install prefix), then PATH.
std::string find_tool(const std::string& name) {
  std::string here = self_dir() + "/sp-" + name;
  if (is_executable(here)) return here;
  const char* path = getenv("PATH");
  if (!path) return "";
  std::string p(path);
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = (end > start ? p.substr(start, end - start) : std::string(1, '.')) + "/sp-" + name;
    if (is_executable(cand)) return cand;
    start = end + 1;
  }
  return "";
}

bool valid_tool_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
  return true;
}

int list_tools() {
  printf("%s\nTools:\n", kUsage);
  int found = 0;
  for (int i = 0; i < kToolCount; ++i) {
    if (find_tool(kTools[i].name).empty()) continue;
    printf("  %-10s %s\n", kTools[i].name, kTools[i].summary);
    ++found;
  }
  if (!found) printf("  (none found next to sp or on PATH)\n");
  printf("\nEach tool has --help and a manual page: sp help TOOL (or man sp-TOOL).\n");
  return kExitOk;
}

int show_manual(const std::string& name) {
  if (!valid_tool_name(name)) {
    fprintf(stderr, "sp: help: '%s' is not a tool name\n", name.c_str());
    return kExitUsage;
  }
  std::string page = name == "sp" ? "sp" : "sp-" + name;
  // An installed page first; then the page in the source tree this binary was built from.
  std::vector<std::string> candidates = {self_dir() + "/../share/man/man1/" + page + ".1",
                                         std::string(SP_SOURCE_DIR) + "/man/" + page + ".1"};
  for (const auto& c : candidates) {
    if (access(c.c_str(), R_OK) == 0) {
      execlp("man", "man", "-l", c.c_str(), static_cast<char*>(nullptr));
      break;  // no man(1): fall through to --help
    }
  }
  if (access((std::string(SP_INSTALL_MANDIR) + "/man1/" + page + ".1").c_str(), R_OK) == 0)
    execlp("man", "man", page.c_str(), static_cast<char*>(nullptr));
  std::string tool = name == "sp" ? "" : find_tool(name);
  if (tool.empty()) {
    fprintf(stderr, "sp: no manual page or program for '%s'; run 'sp' for the list\n", name.c_str());
    return kExitUsage;
  }
  execl(tool.c_str(), tool.c_str(), "--help", static_cast<char*>(nullptr));
  fprintf(stderr, "sp: cannot run %s: %s\n", tool.c_str(), strerror(errno));
  return kExitFailure;
}

}  // namespace

int front_door_main(int argc, char** argv) {
  if (argc < 2) return list_tools();
  std::string first = argv[1];
  if (first == "-h" || first == "--help") {
    printf("%s", kUsage);
    return kExitOk;
  }
  if (first == "--version") {
    printf("sp " SP_VERSION " (streampipe)\n");
    return kExitOk;
  }
  if (first == "--complete") {
    printf("--help\t\tPrint this help and exit\n-h\t\tPrint this help and exit\n--version\t\tPrint the version and exit\n");
    printf("help\t\tShow the manual page of a tool\n");
    for (int i = 0; i < kToolCount; ++i)
      if (!find_tool(kTools[i].name).empty()) printf("%s\t\t%s\n", kTools[i].name, kTools[i].summary);
    return kExitOk;
  }
  if (first == "help") {
    if (argc < 3) return list_tools();
    return show_manual(argv[2]);
  }
  if (first[0] == '-') {
    fprintf(stderr, "sp: unknown option '%s'\nsp: run 'sp --help' for usage\n", first.c_str());
    return kExitUsage;
  }
  if (!valid_tool_name(first)) {
    fprintf(stderr, "sp: '%s' is not a tool name; run 'sp' for the list\n", first.c_str());
    return kExitUsage;
  }
  std::string tool = find_tool(first);
  if (tool.empty()) {
    fprintf(stderr, "sp: '%s' is not a streampipe tool (no sp-%s next to sp or on PATH); run 'sp' for the list\n",
            first.c_str(), first.c_str());
    return kExitUsage;
  }
  std::vector<char*> args;
  std::string argv0 = "sp-" + first;
  args.push_back(argv0.data());
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(tool.c_str(), args.data());
  fprintf(stderr, "sp: cannot run %s: %s\n", tool.c_str(), strerror(errno));
  return kExitFailure;
}

}  // namespace sp::cli
