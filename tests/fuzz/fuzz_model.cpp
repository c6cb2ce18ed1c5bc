// sp-learn/sp-predict model files: the loader on fuzzed bytes, then, with a model that
// loaded, predicting (and learning, as sp-predict --learn-from does) on a few records. The
// input is the model file, a NUL byte, then records. Rejection of a bad file is
// sp::UsageError. Oracle: a loaded model written out again loads back to the same text.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "io/error.h"
#include "learn/model.h"
#include "learn/model_file.h"

namespace {

constexpr std::string_view kRecords[] = {
    R"({"service":"api","latency_ms":12.5,"status":503,"bytes":10,"ok":true,"tags":["a","b"],"y":1})",
    R"({"service":"web","latency_ms":0,"status":"200","y":"b","a":-3.5,"b":1e300,"c":null})",
    R"({})",
};

void predict_on(sp::learn::Model& model, const std::vector<std::string_view>& lines) {
  sp::learn::RecordScanner scanner;
  sp::learn::FeatureEncoder enc(model.spec(), scanner);
  size_t target = scanner.add(model.target());
  std::vector<sp::learn::Feature> x;
  sp::learn::Prediction pred;
  sp::learn::Label label;
  std::string err, padded;
  for (std::string_view line : lines) {
    padded.assign(line);
    padded.append(simdjson::SIMDJSON_PADDING, ' ');
    if (!scanner.scan(padded.data(), line.size())) continue;
    if (!enc.check(err)) continue;
    enc.encode(x, false);
    model.predict(x, pred);
    if (model.label(scanner.slot(target), label, err, true)) model.learn(x, label, pred);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [file, records, has_records] = sp::fuzz::split_at_nul(data, size);
  // Up to 2^28 weights per class is a model sp-learn makes on request (3 GiB with adagrad), more
  // than the fuzzer's 2 GiB limit: files asking for over 2^16 are left out (allocating what
  // "bits" says is the loader's job, not a bug).
  {
    static simdjson::dom::parser pre;
    simdjson::dom::element doc;
    double bits = 0;
    if (pre.parse(file.data(), file.size()).get(doc) == simdjson::SUCCESS &&
        doc["bits"].get_double().get(bits) == simdjson::SUCCESS && bits > 16)
      return 0;
  }
  std::unique_ptr<sp::learn::Model> model;
  try {
    model = sp::learn::parse_model(file, "fuzz.model.json");
  } catch (const sp::UsageError&) {
    return 0;  // not a model file: the expected rejection
  }
  std::string text = sp::learn::model_json(*model, nullptr, "fuzz");
  std::unique_ptr<sp::learn::Model> again;
  try {
    again = sp::learn::parse_model(text, "again.model.json");
  } catch (const sp::UsageError&) {
    __builtin_trap();  // what we write we must read
  }
  if (std::string back = sp::learn::model_json(*again, nullptr, "fuzz"); back != text) {
    fprintf(stderr, "a model changed when written and read back:\n%s\n%s\n", text.c_str(), back.c_str());
    __builtin_trap();
  }
  std::vector<std::string_view> lines(std::begin(kRecords), std::end(kRecords));
  sp::fuzz::add_lines(records, lines, 16);
  predict_on(*model, lines);
  return 0;
}
