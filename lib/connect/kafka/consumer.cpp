#include "connect/kafka/consumer.h"

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "connect/kafka/client.h"
#include "io/error.h"

namespace sp::connect::kafka {

using Partition = std::pair<std::string, int32_t>;

struct Consumer::State {
  rd_kafka_t* rk = nullptr;
  std::string where;
  ConsumerOptions opts;
  bool commits = false;                   // a group of the user's: offsets are committed
  bool manual = false;                    // end-to-end acknowledgements: commit what acknowledge() says
  std::vector<rd_kafka_message_t*> held;  // the messages of the last poll()
  std::set<Partition> assigned, at_end, seen;
  std::map<Partition, int64_t> batch_next;  // next offset per partition, of the last poll()
  std::map<Partition, int64_t> written;     // next offset per partition, of records written
  std::map<Partition, int64_t> resume;      // revoked with their commit failed: where to go on
  std::map<Partition, int64_t> handed_out;  // next offset per partition, of every poll() so far
  bool dirty = false;
  std::string fatal;

  void release() {
    for (auto* m : held) rd_kafka_message_destroy(m);
    held.clear();
  }

  // Commits `written` offsets of `only` (all when null), synchronously or not. A failure is
  // reported only with `report` (at exit); otherwise the next commit carries the offsets, and
  // in a rebalance the next owner starts at the previous commit (at-least-once).
  bool commit_written(const std::set<Partition>* only, bool sync, bool report = false) {
    if (!commits) return true;
    bool ok = true;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(written.size()));
    for (const auto& [p, next] : written)
      if (!only || only->count(p)) rd_kafka_topic_partition_list_add(list, p.first.c_str(), p.second)->offset = next;
    if (list->cnt > 0) {
      rd_kafka_resp_err_t e = rd_kafka_commit(rk, list, sync ? 0 : 1);
      ok = e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET;
      // Nothing to commit, or the group is rebalancing: the next commit carries the offsets.
      if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET && report && fatal.empty() &&
          e != RD_KAFKA_RESP_ERR__STATE && e != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS &&
          e != RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION && e != RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
        fatal = std::string("committing offsets: ") + rd_kafka_err2str(e);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return ok;
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      std::vector<int> returning;  // elements of partitions this process handed out before
      for (int i = 0; i < parts->cnt; ++i) {
        Partition p{parts->elems[i].topic, parts->elems[i].partition};
        // earliest/latest apply to a partition's first assignment in this process; after a
        // rebalance, a partition taken over from another member resumes at its commit.
        if (seen.insert(p).second && opts.start != StartAt::kStored)
          parts->elems[i].offset = opts.start == StartAt::kEarliest ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
        // Back after a revoke whose commit failed (the mock refuses commits mid-rebalance):
        // go on after what was written rather than at the stale commit.
        auto r = resume.find(p);
        if (r != resume.end()) {
          parts->elems[i].offset = r->second;
          written[p] = r->second;  // and commit it with the next batch
          dirty = true;
          resume.erase(r);
        }
        if (manual && handed_out.count(p)) returning.push_back(i);
        assigned.insert(p);
        at_end.erase(p);
      }
      resume_returning(parts, returning);
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) {
          fatal = std::string("assigning partitions: ") + rd_kafka_error_string(e);
          rd_kafka_error_destroy(e);
        }
      } else {
        rd_kafka_assign(rk, parts);
      }
      tell("assigned", parts);
      return;
    }
    // Revoked: what was written is committed now, so the next owner starts after it; what
    // was polled but not written is dropped, and the next owner reads it.
    std::set<Partition> revoked;
    for (int i = 0; i < parts->cnt; ++i) revoked.insert({parts->elems[i].topic, parts->elems[i].partition});
    bool committed = commit_written(&revoked, true);
    std::erase_if(held, [&](rd_kafka_message_t* m) {
      if (!revoked.count({rd_kafka_topic_name(m->rkt), m->partition})) return false;
      rd_kafka_message_destroy(m);
      return true;
    });
    for (const auto& p : revoked) {
      auto w = written.find(p);
      if (!committed && w != written.end()) resume[p] = w->second;
      assigned.erase(p);
      at_end.erase(p);
      written.erase(p);
    }
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
    } else {
      rd_kafka_assign(rk, nullptr);
    }
    tell("revoked", parts);
  }

  // With acknowledgements, a partition's commit lags behind what this process handed out: the
  // records in between are still in the pipe (an sp-agg window holds them) and will be
  // acknowledged. A partition that comes back to this process (revoked and re-assigned in one
  // rebalance, or later) must not start at the commit, or those records are read, and counted,
  // twice. It goes on after what it handed out, or at the group's commit when another member
  // got further meanwhile. Acknowledgements below the commit are then ignored.
  void resume_returning(rd_kafka_topic_partition_list_t* parts, const std::vector<int>& returning) {
    if (returning.empty()) return;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(returning.size()));
    for (int i : returning) rd_kafka_topic_partition_list_add(list, parts->elems[i].topic, parts->elems[i].partition);
    // Blocking (one OffsetFetch round trip); without an answer the commit is taken as unknown.
    bool known = rd_kafka_committed(rk, list, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int k = 0; k < list->cnt; ++k) {
      rd_kafka_topic_partition_t& e = parts->elems[returning[static_cast<size_t>(k)]];
      Partition p{e.topic, e.partition};
      int64_t committed = known && list->elems[k].err == RD_KAFKA_RESP_ERR_NO_ERROR ? list->elems[k].offset : -1;
      if (e.offset >= 0) committed = std::max(committed, e.offset);  // a resume position set above
      int64_t start = std::max(committed, handed_out[p]);
      e.offset = start;
      if (committed >= 0) {
        auto w = written.find(p);
        if (w == written.end() || w->second < committed) written[p] = committed;
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
  }

  void tell(const char* what, const rd_kafka_topic_partition_list_t* parts) const {
    if (!opts.on_assignment || parts->cnt == 0) return;
    std::string msg = std::string("partitions ") + what + " ";
    auto name = [](const std::string& t, int32_t id) { return t + "/" + std::to_string(id); };
    for (int i = 0; i < parts->cnt; ++i) msg += (i ? ", " : "") + name(parts->elems[i].topic, parts->elems[i].partition);
    msg += "; now ";
    if (assigned.empty()) msg += "none";
    bool first = true;
    for (const auto& [t, id] : assigned) {
      msg += (first ? "" : ", ") + name(t, id);
      first = false;
    }
    opts.on_assignment(msg);
  }
};

namespace {

void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<Consumer::State*>(opaque)->rebalance(err, parts);
}

std::string own_group() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::string("sp-ingest-") + host + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

bool fatal_message_error(rd_kafka_resp_err_t e) {
  switch (e) {
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
      return true;
    default:
      return false;
  }
}

}  // namespace

Consumer::Consumer(const ClientSettings& settings, const ConsumerOptions& opts) : s_(std::make_unique<State>()) {
  s_->where = settings.where;
  s_->opts = opts;
  s_->commits = !opts.group.empty();
  Properties defaults = {
      {"group.id", opts.group.empty() ? own_group() : opts.group},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", opts.start == StartAt::kLatest ? "latest" : "earliest"},
      {"enable.partition.eof", opts.report_end ? "true" : "false"},
  };
  rd_kafka_conf_t* conf = make_conf(settings, defaults);
  rd_kafka_conf_set_opaque(conf, s_.get());
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  s_->rk = make_handle(RD_KAFKA_CONSUMER, conf, s_->where);
  try {
    wait_for_broker(s_->rk, opts.connect_timeout, s_->where);
    rd_kafka_poll_set_consumer(s_->rk);
    if (s_->commits) subscribe();
    else assign_all();
  } catch (...) {
    rd_kafka_destroy(s_->rk);
    s_->rk = nullptr;
    throw;
  }
}

void Consumer::subscribe() {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(s_->opts.topics.size()));
  for (const auto& t : s_->opts.topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(s_->rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (e) throw Error(s_->where + ": subscribing: " + rd_kafka_err2str(e));
}

// Without a group of the user's there is nothing to share: every partition is assigned at
// once, which also spares the group join (seconds) of a short run.
void Consumer::assign_all() {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(64);
  std::string error;
  for (const auto& t : s_->opts.topics) {
    rd_kafka_topic_t* topic = rd_kafka_topic_new(s_->rk, t.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int ms = static_cast<int>(s_->opts.connect_timeout * 1000);
    rd_kafka_resp_err_t e = rd_kafka_metadata(s_->rk, 0, topic, &md, ms > 0 ? ms : 1);
    if (!e && md->topic_cnt != 1) e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (!e && md->topics[0].err) e = md->topics[0].err;
    if (!e)
      for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
        int32_t id = md->topics[0].partitions[i].id;
        rd_kafka_topic_partition_list_add(list, t.c_str(), id)->offset =
            s_->opts.start == StartAt::kLatest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
        s_->assigned.insert({t, id});
      }
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(topic);
    if (e && error.empty()) error = "topic '" + t + "': " + rd_kafka_err2str(e);
  }
  if (error.empty()) {
    rd_kafka_resp_err_t e = rd_kafka_assign(s_->rk, list);
    if (e) error = std::string("assigning partitions: ") + rd_kafka_err2str(e);
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (!error.empty()) throw Error(s_->where + ": " + error);
}

Consumer::~Consumer() {
  if (!s_->rk) return;
  s_->release();
  rd_kafka_destroy(s_->rk);
}

void Consumer::poll(std::vector<Message>& out, size_t max, int timeout_ms) {
  out.clear();
  s_->release();
  s_->batch_next.clear();
  int wait = timeout_ms;
  while (s_->held.size() < max) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(s_->rk, wait);
    if (!s_->fatal.empty()) {
      if (m) rd_kafka_message_destroy(m);
      throw Error(s_->where + ": " + s_->fatal);
    }
    if (!m) break;
    wait = 0;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      Partition p{rd_kafka_topic_name(m->rkt), m->partition};
      if (s_->assigned.count(p)) s_->at_end.insert(p);
      rd_kafka_message_destroy(m);
      if (all_at_end()) break;
      continue;
    }
    if (m->err) {
      std::string what = m->rkt ? std::string(rd_kafka_topic_name(m->rkt)) + ": " : std::string();
      what += rd_kafka_message_errstr(m);
      rd_kafka_resp_err_t e = m->err;
      rd_kafka_message_destroy(m);
      if (fatal_message_error(e)) throw Error(s_->where + ": " + what);
      continue;  // librdkafka retries transport errors by itself
    }
    s_->at_end.erase({rd_kafka_topic_name(m->rkt), m->partition});
    s_->held.push_back(m);
  }
  char fatal[512];
  if (rd_kafka_fatal_error(s_->rk, fatal, sizeof fatal)) throw Error(s_->where + ": " + fatal);
  // Built after the loop: a rebalance inside it may have dropped messages of revoked partitions.
  out.reserve(s_->held.size());
  for (rd_kafka_message_t* m : s_->held) {
    Message& msg = out.emplace_back();
    msg.topic = rd_kafka_topic_name(m->rkt);
    msg.partition = m->partition;
    msg.offset = m->offset;
    msg.has_key = m->key != nullptr;
    if (m->key) msg.key = {static_cast<const char*>(m->key), m->key_len};
    if (m->payload) msg.value = {static_cast<const char*>(m->payload), m->len};
    rd_kafka_timestamp_type_t type;
    msg.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers) {
      const char* name;
      const void* val;
      size_t size;
      for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        msg.headers.emplace_back(name, val ? std::string_view(static_cast<const char*>(val), size) : std::string_view());
    }
    int64_t& next = s_->batch_next[{std::string(msg.topic), m->partition}];
    next = std::max(next, m->offset + 1);
  }
  for (const auto& [p, next] : s_->batch_next) {
    int64_t& h = s_->handed_out[p];
    h = std::max(h, next);
  }
}

void Consumer::set_manual_commits() { s_->manual = true; }

bool Consumer::all_at_end() const { return !s_->assigned.empty() && s_->at_end.size() >= s_->assigned.size(); }

void Consumer::acknowledge(std::string_view topic, int32_t partition, int64_t next) {
  Partition p{std::string(topic), partition};
  if (!s_->assigned.count(p)) return;
  auto it = s_->written.find(p);
  if (it != s_->written.end() && it->second >= next) return;
  s_->written[p] = next;
  s_->dirty = true;
}

void Consumer::commit(bool sync) {
  if (s_->manual) s_->batch_next.clear();
  for (const auto& [p, next] : s_->batch_next) {
    // A partition revoked since the poll is no longer ours to commit.
    if (!s_->assigned.count(p)) continue;
    s_->written[p] = next;
    s_->dirty = true;
  }
  s_->batch_next.clear();
  if (!s_->dirty) return;
  // A failed commit (a rebalance under way) is tried again with the next batch.
  s_->dirty = !s_->commit_written(nullptr, sync);
}

void Consumer::close() {
  if (!s_->rk) return;
  s_->release();
  if (s_->manual) s_->batch_next.clear();
  for (const auto& [p, next] : s_->batch_next)
    if (s_->assigned.count(p)) s_->written[p] = next;
  s_->batch_next.clear();
  // A commit refused while the group rebalances is tried again for a few seconds, serving
  // the group's events meanwhile (messages polled now are not written: dropped).
  for (int attempt = 0; s_->commits && attempt < 50; ++attempt) {
    if (s_->commit_written(nullptr, true, attempt == 49)) break;
    if (rd_kafka_message_t* m = rd_kafka_consumer_poll(s_->rk, 100)) rd_kafka_message_destroy(m);
  }
  if (s_->commits) rd_kafka_consumer_close(s_->rk);
  rd_kafka_destroy(s_->rk);
  s_->rk = nullptr;
  if (!s_->fatal.empty()) throw Error(s_->where + ": " + s_->fatal);
}

}  // namespace sp::connect::kafka
