#include "datastore/watcher.h"

namespace calico::datastore {

std::vector<Event> diff_and_replace(std::map<Key, Object>& known,
                                    const std::vector<Object>& listed) {
  std::vector<Event> out;
  std::map<Key, Object> next;
  for (const auto& o : listed) {
    next.emplace(o.key, o);
  }
  for (const auto& [key, obj] : known) {
    if (next.find(key) == next.end()) {
      out.push_back({EventType::Deleted, obj});
    }
  }
  for (const auto& [key, obj] : next) {
    auto it = known.find(key);
    if (it == known.end()) {
      out.push_back({EventType::Added, obj});
    } else if (it->second.revision != obj.revision) {
      out.push_back({EventType::Modified, obj});
    }
  }
  known = std::move(next);
  return out;
}

namespace {

std::map<Key, Object> seed(const WatchOptions& opts) {
  std::map<Key, Object> out;
  if (!opts.from_revision.empty()) {
    for (const auto& o : opts.known) {
      out.emplace(o.key, o);
    }
  }
  return out;
}

}  // namespace

Watcher::Watcher(WatchSource& source, WatchOptions opts, WatchCallbacks callbacks)
    : source_(source),
      opts_(std::move(opts)),
      callbacks_(std::move(callbacks)),
      backoff_(opts_.initial_backoff, opts_.max_backoff),
      log_(Logger("datastore").with("watch", std::string(api::info(opts_.list.kind).name))),
      revision_(opts_.from_revision),
      known_(seed(opts_)),
      thread_([this](const std::stop_token& st) { run(st); }),
      stop_source_(thread_.get_stop_source()) {}

Watcher::~Watcher() {
  // Destroying a Watch from inside its own callbacks would free the running thread's
  // state; stop() there instead and destroy it elsewhere.
  CALICO_CHECK(run_id_.load() != std::this_thread::get_id());
  stop();
}

void Watcher::stop() {
  stop_source_.request_stop();  // thread-safe, unlike jthread::request_stop racing a join
  {
    const std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  if (run_id_.load() == std::this_thread::get_id()) {
    return;  // called from a callback: the loop ends once the callback returns
  }
  const std::lock_guard<std::mutex> lock(join_mu_);  // stop() may race with itself
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Watcher::deliver(const std::vector<Event>& batch) {
  if (callbacks_.on_events) {
    callbacks_.on_events(batch);
  }
}

void Watcher::status(WatchStatus s, const std::string& detail) {
  if (callbacks_.on_status) {
    callbacks_.on_status(s, detail);
  }
}

bool Watcher::sleep_backoff(const std::stop_token& stop) {
  const auto delay = backoff_.next();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, stop, delay, [] { return false; });
  return !stop.stop_requested();
}

bool Watcher::resync(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    auto listed = source_.list(opts_.list);
    if (listed) {
      for (const auto& bad : listed->undecodable) {
        log_.warn("skipping undecodable object", {kv("error", bad.to_string())});
      }
      const auto batch = diff_and_replace(known_, listed->items);
      revision_ = listed->revision;
      deliver(batch);
      backoff_.reset();
      reconnecting_ = false;  // InSync is reported here, not again when the stream opens
      status(WatchStatus::InSync, "revision " + revision_);
      return true;
    }
    log_.warn("list failed; retrying", {kv("error", listed.error().to_string())});
    reconnecting_ = false;  // the successful list reports InSync itself
    status(WatchStatus::Reconnecting, listed.error().to_string());
    if (!sleep_backoff(stop)) {
      return false;
    }
  }
  return false;
}

void Watcher::run(const std::stop_token& stop) {
  run_id_.store(std::this_thread::get_id());
  if (!revision_.empty() || resync(stop)) {
    stream_loop(stop);
  }
  status(WatchStatus::Stopped, "stopped");
  run_id_.store(std::thread::id());  // ids are reused after the thread ends
}

void Watcher::stream_loop(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    const StoreError err = source_.stream(
        opts_.list, revision_,
        [this] {
          if (reconnecting_) {
            reconnecting_ = false;
            backoff_.reset();
            log_.info("watch reconnected", {kv("revision", revision_)});
            status(WatchStatus::InSync, "reconnected at revision " + revision_);
          }
        },
        [this, &stop](const SourceEvent& ev) {
          if (ev.bookmark) {
            revision_ = ev.revision;
            return !stop.stop_requested();
          }
          Event e = ev.event;
          if (e.type == EventType::Deleted) {
            known_.erase(e.object.key);
          } else {
            // An Added for a key we already know (e.g. re-created) is still Added; a
            // Modified for an unknown key (watch started from a revision) is reported as
            // Added so consumers can treat events as upserts of new keys.
            const bool had = known_.find(e.object.key) != known_.end();
            if (e.type == EventType::Modified && !had) {
              e.type = EventType::Added;
            }
            known_.insert_or_assign(e.object.key, e.object);
          }
          revision_ = ev.revision;
          backoff_.reset();
          deliver({e});
          return !stop.stop_requested();  // stop() from inside the callback
        },
        stop);
    if (stop.stop_requested()) {
      break;
    }
    if (err.code == ErrorCode::Gone) {
      log_.info("watch revision compacted; resyncing", {kv("revision", revision_)});
      status(WatchStatus::Resyncing, err.message);
      if (!resync(stop)) {
        break;
      }
      continue;
    }
    log_.warn("watch stream ended; reconnecting",
              {kv("error", err.to_string()), kv("revision", revision_)});
    reconnecting_ = true;
    status(WatchStatus::Reconnecting, err.to_string());
    if (!sleep_backoff(stop)) {
      break;
    }
  }
}

}  // namespace calico::datastore
