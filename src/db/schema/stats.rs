// The linking funnel's counts, kept by the trigger on `link_events` (db/stats.rs).

diesel::table! {
    link_stats (day, kind, name, flow, language, shard) {
        day -> Date,
        kind -> Text,
        name -> Text,
        flow -> Text,
        language -> Text,
        shard -> SmallInt,
        n -> BigInt,
    }
}
