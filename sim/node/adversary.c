/*
 * adversary.c - the adversaries of [adversary NAME] groups: which nodes each
 * controls, the policy chain.c calls for every node (proto.h:
 * chain_policy_t), and the attacks' results.
 *
 * An adversary is ONE logical participant with the combined hash power of
 * its nodes: its first node (the leader) mines with the adversary's whole
 * share, the others none; every block one of its nodes has is given to the
 * others at once (chain_share), so they all hold its private branch and all
 * publish what it releases. Its blocks are built, sealed and validated by
 * the same code as everyone's (chain_mine); only publication (relays) and
 * what it mines on (fork_choice, the leader's tip) differ. Honest nodes
 * never see a block the adversary has not released.
 *
 * selfish (PoW): Eyal and Sirer's strategy, stated as a lead:
 *   lead = height of the private tip P - the highest published block the
 *   adversary has seen (pub_h, its own released blocks included).
 *   - it mines a block: P moves; in a race (branches of equal length, its
 *     own released) it releases it and wins, unless equal-fork stubborn;
 *     a trailing branch that catches up (lead 0) is released (a race);
 *   - an honest block raises pub_h: lead < 0: adopt the honest chain
 *     (trail stubborn: keep its branch while at most trail_depth behind);
 *     lead 0: release everything (the race, state 0'); lead 1: release
 *     everything and win (lead stubborn: release up to pub_h only); lead
 *     >= 2: release its blocks up to pub_h.
 * gamma (a number): an honest node holding two tips of equal work, one of
 * them the adversary's, takes the adversary's with probability gamma,
 * drawn once per tie from the node's own stream; `network`: first seen, as
 * every node does.
 * Outside [start, stop) the adversary is an honest miner; at the first
 * block event after stop it releases its branch.
 *
 * Invariant: without [adversary] groups nothing here runs (s->policy is
 * NULL), so honest runs keep their digests.
 */
#include "sim/node/adversary.h"

#include <string.h>

#include "sim/node/chain.h"
#include "sim/node/txrelay.h"

/* One double-spend attempt. */
typedef struct ds_attempt {
    uint64_t start_ns, accepted_ns, end_ns; /* UINT64_MAX: not (yet) */
    const char *outcome;                    /* success, failed, gave-up, open */
    uint64_t blocks_lost;
} ds_attempt_t;

typedef struct adv {
    const adversary_spec_t *spec;
    char *label;     /* "kind NAME", for block_marks.adversary */
    uint32_t *nodes; /* sorted; nodes[0] is the leader */
    uint32_t nnodes;
    uint32_t leader;
    /* selfish */
    sblock_t *priv;  /* P: the tip it mines on */
    uint64_t pub_h;  /* highest published block it has seen */
    bool racing;     /* its released branch ties the honest one */
    bool active;
    uint64_t made;   /* blocks its nodes produced while active */
    uint64_t releases, adoptions;
    /* double-spend */
    uint32_t merchant, account; /* the merchant node; the account it pays from */
    GArray *attempts;           /* ds_attempt_t */
    bool in_attempt;
    uint32_t pay_tx;            /* the payment's transaction number */
    sblock_t *pub_best;         /* heaviest public block it has seen */
    uint64_t fork_h;            /* height of the attempt's fork point */
} adv_t;

struct adversaries {
    adv_t *a;
    uint32_t n;
    int32_t *owner;       /* per node: adversary index, -1 = honest */
    GByteArray *released; /* per block index: 1 once its adversary released it */
};

/* ---------- who is who ---------- */

static adv_t *adv_of_node(const proto_t *s, uint32_t node)
{
    if (node >= s->net->nnodes)
        return NULL;
    int32_t i = s->adv->owner[node];
    return i < 0 ? NULL : &s->adv->a[i];
}

/* The adversary that produced sb, or NULL (honest, genesis). */
static adv_t *producer_of(const proto_t *s, const sblock_t *sb)
{
    return sb->b->parent ? adv_of_node(s, sb->b->h.producer) : NULL;
}

static bool withholds(const adv_t *a)
{
    return a->spec->kind == ADV_SELFISH || a->spec->kind == ADV_DOUBLE_SPEND || a->spec->kind == ADV_WITHHOLD;
}

/* Kinds whose leader's tip the policy chooses (the others follow the
 * honest fork choice). */
static bool steers(const adv_t *a)
{
    return a->spec->kind == ADV_SELFISH || a->spec->kind == ADV_DOUBLE_SPEND;
}

/* Per block: 0 held back (or honest), 1 released, 2 its release is scheduled. */
static uint8_t release_state(const proto_t *s, const sblock_t *sb)
{
    const GByteArray *r = s->adv->released;
    return sb->b->index < r->len ? r->data[sb->b->index] : 0;
}

static bool is_released(const proto_t *s, const sblock_t *sb)
{
    return release_state(s, sb) == 1;
}

static void set_release_state(proto_t *s, const sblock_t *sb, uint8_t v)
{
    GByteArray *r = s->adv->released;
    uint32_t i = sb->b->index;
    if (i >= r->len) {
        uint32_t old = r->len;
        g_byte_array_set_size(r, MAX(i + 1, 2 * old));
        memset(r->data + old, 0, r->len - old);
    }
    r->data[i] = v;
}

static bool active_now(const proto_t *s, const adv_t *a)
{
    uint64_t now = s->eng->now_ns;
    return now >= a->spec->start_ns && now < a->spec->stop_ns;
}

/* ---------- publication ---------- */

/* Releases sb: every node of the adversary announces it. */
static void release(proto_t *s, adv_t *a, sblock_t *sb)
{
    if (is_released(s, sb))
        return;
    set_release_state(s, sb, 1);
    a->releases++;
    for (uint32_t k = 0; k < a->nnodes; k++)
        if (sb->st[a->nodes[k]] == BS_CONNECTED)
            chain_relay(s, a->nodes[k], sb);
}

/* Releases the adversary's unreleased blocks on P's chain up to height
 * max_h, oldest first; returns how many. */
static uint32_t release_upto(proto_t *s, adv_t *a, uint64_t max_h)
{
    GPtrArray *todo = g_ptr_array_new();
    for (sblock_t *sb = a->priv; sb && producer_of(s, sb) == a && !is_released(s, sb);
         sb = g_ptr_array_index(s->blocks, sb->b->parent->index))
        if (sb->b->h.height <= max_h)
            g_ptr_array_add(todo, sb);
    uint32_t n = todo->len;
    for (guint i = todo->len; i-- > 0;)
        release(s, a, g_ptr_array_index(todo, i));
    g_ptr_array_free(todo, TRUE);
    if (max_h > a->pub_h && n)
        a->pub_h = MIN(max_h, a->priv->b->h.height);
    return n;
}

/* Unreleased blocks of the adversary on P's chain. */
static uint32_t unreleased(const proto_t *s, const adv_t *a)
{
    uint32_t n = 0;
    for (const sblock_t *sb = a->priv; sb && producer_of(s, sb) == a && !is_released(s, sb);
         sb = g_ptr_array_index(s->blocks, sb->b->parent->index))
        n++;
    return n;
}

static void set_priv(proto_t *s, adv_t *a, sblock_t *sb)
{
    a->priv = sb;
    chain_set_tip(s, a->leader, sb);
}

/* ---------- selfish mining ---------- */

static void selfish_mined(proto_t *s, adv_t *a, sblock_t *sb)
{
    const bool race = a->racing;
    a->made++;
    set_priv(s, a, sb);
    int64_t lead = (int64_t)sb->b->h.height - (int64_t)a->pub_h;
    if (race && !(a->spec->stubborn & STUBBORN_EQUAL_FORK)) {
        release_upto(s, a, UINT64_MAX); /* wins the race */
        a->racing = false;
    } else if (lead == 0) {
        release_upto(s, a, UINT64_MAX); /* a trailing branch caught up: a race */
        a->racing = true;
    } else {
        a->racing = false;
    }
}

static void selfish_public(proto_t *s, adv_t *a, sblock_t *sb)
{
    if (sb->b->h.height <= a->pub_h)
        return;
    a->pub_h = sb->b->h.height;
    int64_t lead = (int64_t)a->priv->b->h.height - (int64_t)a->pub_h;
    uint32_t mine = unreleased(s, a);
    const adversary_spec_t *sp = a->spec;
    if (lead < 0) {
        if ((sp->stubborn & STUBBORN_TRAIL) && mine > 0 && -lead <= (int64_t)sp->trail_depth)
            return; /* keeps mining its branch */
        a->adoptions++;
        a->racing = false;
        set_priv(s, a, sb);
    } else if (lead == 0) {
        if (mine > 0) {
            release_upto(s, a, UINT64_MAX);
            a->racing = true;
        }
    } else if (lead == 1 && !(sp->stubborn & STUBBORN_LEAD)) {
        release_upto(s, a, UINT64_MAX); /* publishes all and wins */
        a->racing = false;
    } else {
        release_upto(s, a, a->pub_h); /* matches the honest chain's height */
        a->racing = false;
    }
}

/* The leader's fork choice outside the attack: an honest miner. */
static void honest_step(proto_t *s, adv_t *a, sblock_t *sb, bool ours)
{
    if (a->active) { /* it just stopped: what it holds goes out */
        a->active = false;
        release_upto(s, a, UINT64_MAX);
    }
    if (ours)
        release(s, a, sb);
    if (s->cons->ops->compare(s->cons, sb->b, a->priv->b) > 0)
        set_priv(s, a, sb);
    a->pub_h = MAX(a->pub_h, sb->b->h.height);
}

/* ---------- double spends ---------- */

static ds_attempt_t *ds_current(adv_t *a)
{
    return &g_array_index(a->attempts, ds_attempt_t, a->attempts->len - 1);
}

/* Registers a transfer of amount from the adversary's account with nonce,
 * to `to`; returns its number. */
static uint32_t ds_tx(proto_t *s, adv_t *a, const addr_t *to, uint64_t nonce, uint32_t origin, uint8_t intent)
{
    stx_t *t = g_new0(stx_t, 1);
    t->tx = tx_new_transfer(&s->accounts[a->account], to, a->spec->amount, s->sc->workload.fee_max * 2, nonce);
    t->origin = origin;
    t->account = a->account;
    t->intent = intent;
    t->submitted_ns = s->eng->now_ns;
    return txrelay_register(s, t);
}

/* An attempt begins: the payment goes to the merchant (and from there to
 * the network); the conflicting transaction (same nonce, back to the
 * adversary) goes only into its leader's pool, and the leader mines a
 * private branch from its tip. */
static void ds_begin(proto_t *s, adv_t *a)
{
    cnode_t *cn = &s->cnodes[a->leader];
    account_t acct = state_get(cn->tip->b->state, &s->accounts[a->account].addr);
    uint64_t nonce = MAX(acct.nonce, s->client_nonce[a->account]);
    s->client_nonce[a->account] = nonce + 1;
    uint32_t conflict = ds_tx(s, a, &cn->reward_addr, nonce, a->leader, INTENT_DOUBLE_SPEND);
    stx_t *c = proto_tx(s, conflict);
    tx_t *evicted = NULL;
    mempool_add_hint(cn->mp, c->tx, &c->mp_hint, cn->tip->b->state, s->eng->now_ns, &evicted);
    if (evicted)
        tx_unref(evicted);
    a->pay_tx = ds_tx(s, a, &s->cnodes[a->merchant].reward_addr, nonce, a->merchant, INTENT_VALID);
    if (s->net->nodes[a->merchant].up)
        txrelay_admit(s, a->merchant, a->pay_tx, UINT32_MAX);
    ds_attempt_t at = { s->eng->now_ns, UINT64_MAX, UINT64_MAX, "open", 0 };
    g_array_append_val(a->attempts, at);
    a->in_attempt = true;
    a->fork_h = cn->tip->b->h.height;
}

/* The attempt ends; on a loss the leader adopts the public chain and its
 * private blocks of the attempt are lost. */
static void ds_end(proto_t *s, adv_t *a, const char *outcome)
{
    ds_attempt_t *at = ds_current(a);
    at->outcome = outcome;
    at->end_ns = s->eng->now_ns;
    a->in_attempt = false;
    if (strcmp(outcome, "success") == 0) {
        release_upto(s, a, UINT64_MAX);
    } else {
        at->blocks_lost = unreleased(s, a);
        a->adoptions++;
        set_priv(s, a, a->pub_best);
    }
}

/* Depth of the payment in the public chain the adversary sees (0: not in). */
static uint64_t ds_pay_depth(proto_t *s, const adv_t *a)
{
    const stx_t *t = proto_tx(s, a->pay_tx);
    const block_t *top = a->pub_best->b;
    for (uint32_t i = 0; i < t->nincluded; i++) {
        const block_t *b = proto_block(s, t->included[i])->b;
        const block_t *x = top;
        while (x && x->h.height > b->h.height)
            x = x->parent;
        if (x == b)
            return top->h.height - b->h.height + 1;
    }
    return 0;
}

/* After every block the leader connects during an attempt. */
static void ds_step(proto_t *s, adv_t *a)
{
    ds_attempt_t *at = ds_current(a);
    const adversary_spec_t *sp = a->spec;
    if (at->accepted_ns == UINT64_MAX && ds_pay_depth(s, a) >= sp->confirmations)
        at->accepted_ns = s->eng->now_ns;
    uint64_t ph = a->priv->b->h.height, hh = a->pub_best->b->h.height;
    if (at->accepted_ns != UINT64_MAX && ph > hh)
        ds_end(s, a, "success");
    else if (sp->give_up && hh >= ph + sp->give_up)
        ds_end(s, a, "gave-up");
}

static void ds_fork_choice(proto_t *s, adv_t *a, sblock_t *sb, bool ours)
{
    if (!ours && s->cons->ops->compare(s->cons, sb->b, a->pub_best->b) > 0)
        a->pub_best = sb;
    if (!active_now(s, a)) {
        if (a->in_attempt)
            ds_end(s, a, "failed");
        if (ours)
            release(s, a, sb);
        if (s->cons->ops->compare(s->cons, sb->b, a->priv->b) > 0)
            set_priv(s, a, sb);
        return;
    }
    if (ours) {
        a->made++;
        if (!a->in_attempt)
            release(s, a, sb);
        set_priv(s, a, sb);
        if (!a->in_attempt && s->cons->ops->compare(s->cons, sb->b, a->pub_best->b) > 0)
            a->pub_best = sb;
    } else if (!a->in_attempt && s->cons->ops->compare(s->cons, sb->b, a->priv->b) > 0) {
        set_priv(s, a, sb);
    }
    if (a->in_attempt)
        ds_step(s, a);
    if (!a->in_attempt && a->attempts->len < a->spec->attempts)
        ds_begin(s, a);
}

/* ---------- the policy chain.c calls ---------- */

/* withhold: a block one of its nodes makes is released delay_ns later
 * (never with delay = forever); before start and after stop at once. */
static void withhold_made(proto_t *s, adv_t *a, sblock_t *sb)
{
    set_release_state(s, sb, 2);
    if (!active_now(s, a)) {
        release(s, a, sb);
        return;
    }
    a->made++;
    if (a->spec->delay_ns == UINT64_MAX)
        return;
    uint64_t at = s->eng->now_ns + a->spec->delay_ns;
    if (at <= s->sc->duration_ns)
        engine_at(s->eng, at, EV_ADVERSARY, (ev_data_t){ .a = (uint32_t)(a - s->adv->a), .u = sb->b->index });
}

static void run_release(void *ctx, const ev_t *ev)
{
    proto_t *s = ctx;
    release(s, &s->adv->a[ev->d.a], proto_block(s, (uint32_t)ev->d.u));
}

static bool policy_fork_choice(proto_t *s, uint32_t node, sblock_t *sb)
{
    adv_t *a = adv_of_node(s, node);
    if (!a || !withholds(a))
        return false;
    if (!steers(a))
        return false;
    const bool ours = producer_of(s, sb) == a;
    if (node != a->leader) {
        /* what one node of the adversary has, all have */
        if (sb->st[a->leader] != BS_CONNECTED)
            chain_share(s, a->leader, sb);
        return false;
    }
    if (!a->priv)
        a->priv = a->pub_best = s->cnodes[node].tip;
    if (ours)
        for (uint32_t k = 1; k < a->nnodes; k++)
            chain_share(s, a->nodes[k], sb);
    if (a->spec->kind == ADV_DOUBLE_SPEND) {
        ds_fork_choice(s, a, sb, ours);
        return true;
    }
    if (!active_now(s, a)) {
        honest_step(s, a, sb, ours);
        return true;
    }
    a->active = true;
    if (ours)
        selfish_mined(s, a, sb);
    else
        selfish_public(s, a, sb);
    return true;
}

static bool policy_relays(proto_t *s, uint32_t node, const sblock_t *sb)
{
    adv_t *a = producer_of(s, sb);
    if (!a || !withholds(a))
        return true;
    /* withhold: the producer relaying its new block (at its connect, every
     * engine) decides when it goes out */
    if (!steers(a) && node == sb->b->h.producer && release_state(s, sb) == 0)
        withhold_made(s, a, (sblock_t *)sb);
    return is_released(s, sb);
}

static bool policy_tie(proto_t *s, uint32_t node, sblock_t *sb, sblock_t *tip)
{
    if (adv_of_node(s, node))
        return false;
    const adv_t *x = producer_of(s, sb), *y = producer_of(s, tip);
    const adv_t *a = x ? x : y;
    if ((x != NULL) == (y != NULL) || a->spec->kind != ADV_SELFISH || a->spec->gamma_ppm < 0)
        return false;
    bool take_adversary = rng_chance_ppm(&s->net->nodes[node].rng, (uint32_t)a->spec->gamma_ppm);
    return take_adversary == (x != NULL);
}

/* Hash power: the leader of each adversary gets its share of total, its
 * other nodes none; the honest miners' rates are scaled to share the rest. */
static void policy_weights(proto_t *s, uint64_t *w, uint64_t total)
{
    const uint32_t n = s->net->nnodes;
    uint64_t adv_total = 0, honest = 0;
    for (uint32_t i = 0; i < s->adv->n; i++)
        adv_total += total / 1000000 * s->adv->a[i].spec->share_ppm;
    for (uint32_t i = 0; i < n; i++)
        if (s->adv->owner[i] < 0)
            honest += w[i];
    uint64_t rest = total - adv_total;
    for (uint32_t i = 0; i < n; i++) {
        if (s->adv->owner[i] >= 0)
            w[i] = 0;
        else if (honest)
            w[i] = (uint64_t)((unsigned __int128)w[i] * rest / honest);
    }
    for (uint32_t i = 0; i < s->adv->n; i++) {
        adv_t *a = &s->adv->a[i];
        if (a->spec->share_ppm)
            w[a->leader] = total / 1000000 * a->spec->share_ppm;
    }
}

/* A tip is published when it and its ancestors are (an adversary's tip
 * may end in blocks it still holds). */
static bool policy_published(const proto_t *s, const sblock_t *sb)
{
    for (; sb->b->parent; sb = g_ptr_array_index(s->blocks, sb->b->parent->index))
        if (producer_of(s, sb) && withholds(producer_of(s, sb)) && !is_released(s, sb))
            return false;
    return true;
}

static const char *policy_maker(const proto_t *s, const sblock_t *sb)
{
    const adv_t *a = producer_of(s, sb);
    return a ? a->label : NULL;
}

static const chain_policy_t adversary_policy = {
    .weights = policy_weights,
    .relays = policy_relays,
    .fork_choice = policy_fork_choice,
    .tie = policy_tie,
    .published = policy_published,
    .maker = policy_maker,
};

/* ---------- set-up ---------- */

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

void adversary_init(proto_t *s)
{
    const scenario_t *sc = s->sc;
    if (!sc->nadversaries || sc->consensus.kind == CONS_NONE)
        return;
    const uint32_t n = s->net->nnodes;
    struct adversaries *all = g_new0(struct adversaries, 1);
    all->n = sc->nadversaries;
    all->a = g_new0(adv_t, all->n);
    all->owner = g_new(int32_t, n);
    all->released = g_byte_array_new();
    for (uint32_t i = 0; i < n; i++)
        all->owner[i] = -1;
    /* nodes given by id first, then the random counts from what is left */
    for (uint32_t k = 0; k < all->n; k++) {
        const adversary_spec_t *sp = &sc->adversaries[k];
        all->a[k].spec = sp;
        for (uint32_t r = 0; r < sp->nnodes_ranges; r++)
            for (uint32_t id = sp->nodes[r].lo; id <= sp->nodes[r].hi; id++)
                all->owner[id] = (int32_t)k;
    }
    for (uint32_t k = 0; k < all->n; k++) {
        const adversary_spec_t *sp = &sc->adversaries[k];
        if (sp->nnodes_ranges)
            continue;
        uint32_t *free_nodes = g_new(uint32_t, n), nfree = 0;
        for (uint32_t i = 0; i < n; i++)
            if (all->owner[i] < 0 && (int64_t)i != sp->merchant)
                free_nodes[nfree++] = i;
        rng_t r;
        rng_stream(&r, sc->seed, RNG_CONSENSUS, 1000 + k);
        rng_shuffle_u32(&r, free_nodes, nfree);
        for (uint32_t j = 0; j < sp->count && j < nfree; j++)
            all->owner[free_nodes[j]] = (int32_t)k;
        g_free(free_nodes);
    }
    for (uint32_t k = 0; k < all->n; k++) {
        adv_t *a = &all->a[k];
        a->nodes = g_new(uint32_t, n);
        for (uint32_t i = 0; i < n; i++)
            if (all->owner[i] == (int32_t)k)
                a->nodes[a->nnodes++] = i;
        qsort(a->nodes, a->nnodes, sizeof *a->nodes, cmp_u32);
        g_assert(a->nnodes > 0); /* the scenario leaves every adversary a node */
        a->leader = a->nodes[0];
        a->label = g_strdup_printf("%s %s", scenario_adversary_kind_name(a->spec->kind), a->spec->name);
        a->attempts = g_array_new(FALSE, FALSE, sizeof(ds_attempt_t));
        a->account = (sc->ledger.accounts - 1 - k % sc->ledger.accounts);
        a->merchant = a->spec->merchant >= 0 ? (uint32_t)a->spec->merchant : UINT32_MAX;
        if (a->merchant == UINT32_MAX) { /* a random honest node */
            rng_t r;
            rng_stream(&r, sc->seed, RNG_CONSENSUS, 2000 + k);
            uint32_t honest = 0;
            for (uint32_t i = 0; i < n; i++)
                honest += all->owner[i] < 0;
            uint32_t pick = (uint32_t)rng_below(&r, honest);
            for (uint32_t i = 0; i < n && a->merchant == UINT32_MAX; i++)
                if (all->owner[i] < 0 && pick-- == 0)
                    a->merchant = i;
        }
    }
    s->adv = all;
    s->policy = &adversary_policy;
    engine_on(s->eng, EV_ADVERSARY, run_release, NULL, NULL, s);
}

void adversary_free(proto_t *s)
{
    struct adversaries *all = s->adv;
    if (!all)
        return;
    for (uint32_t k = 0; k < all->n; k++) {
        g_free(all->a[k].nodes);
        g_free(all->a[k].label);
        g_array_free(all->a[k].attempts, TRUE);
    }
    g_free(all->a);
    g_free(all->owner);
    g_byte_array_free(all->released, TRUE);
    g_free(all);
    s->adv = NULL;
    s->policy = NULL;
}

/* ---------- results ---------- */

typedef struct adv_figures {
    uint64_t made, main, main_total; /* its blocks, those on the final main chain, all main blocks in its window */
    uint64_t honest_made, honest_stale;
} adv_figures_t;

/* Counts over the blocks made in the adversary's window [start, stop);
 * blocks' main flags must be set (the final chain). */
static void figures(const proto_t *s, const adv_t *a, adv_figures_t *f)
{
    memset(f, 0, sizeof *f);
    for (guint i = 1; i < s->blocks->len; i++) {
        const sblock_t *sb = g_ptr_array_index(s->blocks, i);
        uint64_t t = sb->b->h.time_ns;
        if (t < a->spec->start_ns || t >= a->spec->stop_ns)
            continue;
        const adv_t *p = producer_of(s, sb);
        f->main_total += sb->main;
        if (p == a) {
            f->made++;
            f->main += sb->main;
        } else if (!p) {
            f->honest_made++;
            f->honest_stale += !sb->main;
        }
    }
}

bool adversary_record(proto_t *s)
{
    if (!s->adv || !s->blocks || !s->rec)
        return true;
    for (uint32_t k = 0; k < s->adv->n; k++) {
        const adv_t *a = &s->adv->a[k];
        const adversary_spec_t *sp = a->spec;
        adv_figures_t f;
        figures(s, a, &f);
        record_adversary_t row = {
            .adversary = k,
            .name = sp->name,
            .kind = scenario_adversary_kind_name(sp->kind),
            .nodes = a->nnodes,
            .leader = a->leader,
            .share = sp->share_ppm ? sp->share_ppm / 1e6 : -1,
            .gamma = sp->kind == ADV_SELFISH && sp->gamma_ppm >= 0 ? sp->gamma_ppm / 1e6 : -1,
            .start_ns = sp->start_ns,
            .stop_ns = sp->stop_ns,
            .blocks_made = f.made,
            .blocks_main = f.main,
            .main_blocks = f.main_total,
            .honest_blocks = f.honest_made,
            .honest_stale = f.honest_stale,
            .released = a->releases,
        };
        if (!record_adversary(s->rec, &row))
            return false;
        for (guint i = 0; i < a->attempts->len; i++) {
            const ds_attempt_t *at = &g_array_index(a->attempts, ds_attempt_t, i);
            record_double_spend_t d = { k, i + 1, a->merchant, at->start_ns, at->accepted_ns, at->end_ns,
                                        at->outcome, at->blocks_lost };
            if (!record_double_spend(s->rec, &d))
                return false;
        }
    }
    return true;
}

void adversary_print_summary(const proto_t *s, FILE *out)
{
    if (!s->adv || !s->blocks)
        return;
    for (uint32_t k = 0; k < s->adv->n; k++) {
        const adv_t *a = &s->adv->a[k];
        adv_figures_t f;
        figures(s, a, &f);
        fprintf(out, "adversary %s (%s, %u node%s, share %.4g): %" G_GUINT64_FORMAT " blocks made, %"
                G_GUINT64_FORMAT " on the main chain of %" G_GUINT64_FORMAT " (revenue share %.4f); honest stale "
                "rate %.4f\n", a->spec->name, scenario_adversary_kind_name(a->spec->kind), a->nnodes,
                a->nnodes == 1 ? "" : "s", a->spec->share_ppm / 1e6, f.made, f.main, f.main_total,
                f.main_total ? (double)f.main / f.main_total : 0.0,
                f.honest_made ? (double)f.honest_stale / f.honest_made : 0.0);
        if (a->spec->kind != ADV_DOUBLE_SPEND)
            continue;
        uint32_t won = 0;
        for (guint i = 0; i < a->attempts->len; i++)
            won += strcmp(g_array_index(a->attempts, ds_attempt_t, i).outcome, "success") == 0;
        fprintf(out, "adversary %s: %u double-spend attempt%s against node %u, %u succeeded\n", a->spec->name,
                a->attempts->len, a->attempts->len == 1 ? "" : "s", a->merchant, won);
    }
}
