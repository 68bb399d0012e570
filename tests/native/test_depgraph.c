/* Dependency-graph analysis (native/depgraph.c): components, cycle membership and shortest
 * cycles, on small graphs and on a chain deep enough to break a recursive implementation. */
#include "check.h"
#include "depgraph.h"

#include <stdlib.h>

/* A graph from an edge list "a>b" pairs over nodes 0..n-1. */
typedef struct graph {
    cx_depgraph g;
    int off[16], adj[32];
} graph;

static graph make(int n, const int (*edges)[2], int ne)
{
    graph x = {{n, NULL, NULL}, {0}, {0}};
    for (int e = 0; e < ne; e++)
        x.off[edges[e][0] + 1]++;
    for (int i = 0; i < n; i++)
        x.off[i + 1] += x.off[i];
    int cur[16];
    for (int i = 0; i < n; i++)
        cur[i] = x.off[i];
    for (int e = 0; e < ne; e++)
        x.adj[cur[edges[e][0]]++] = edges[e][1];
    return x;
}

static int cycle_of(graph *x, int v, int *out)
{
    int comp[16], work[32];
    x->g.off = x->off;
    x->g.adj = x->adj;
    CHECK(cx_depgraph_components(&x->g, comp) > 0);
    for (int i = 0; i < 2 * x->g.n; i++)
        work[i] = -1;
    int n = cx_depgraph_shortest_cycle(&x->g, comp, v, work, out);
    for (int i = 0; i < x->g.n; i++)
        CHECK_INT(work[i], -1); /* left ready for the next call */
    return n;
}

static void test_components(void)
{
    /* 0 -> 1 -> 2 -> 0 (a cycle), 3 -> 0 (depends on it), 4 -> 4 (self), 5 alone */
    static const int e[][2] = {{0, 1}, {1, 2}, {2, 0}, {3, 0}, {4, 4}};
    graph x = make(6, e, 5);
    x.g.off = x.off;
    x.g.adj = x.adj;
    int comp[6], sizes[6];
    int nc = cx_depgraph_components(&x.g, comp);
    CHECK_INT(nc, 4);
    CHECK(comp[0] == comp[1] && comp[1] == comp[2]);
    CHECK(comp[3] != comp[0] && comp[4] != comp[0] && comp[5] != comp[4]);
    CHECK(comp[3] > comp[0]); /* completion order: a component after those it leads to */
    cx_depgraph_component_sizes(&x.g, comp, sizes);
    CHECK_INT(sizes[comp[0]], 3);
    CHECK(cx_depgraph_on_cycle(&x.g, comp, sizes, 1));
    CHECK(!cx_depgraph_on_cycle(&x.g, comp, sizes, 3));
    CHECK(cx_depgraph_on_cycle(&x.g, comp, sizes, 4));
    CHECK(!cx_depgraph_on_cycle(&x.g, comp, sizes, 5));
    cx_depgraph empty = {0, x.off, x.adj};
    CHECK_INT(cx_depgraph_components(&empty, comp), 0);
}

static void test_shortest_cycle(void)
{
    /* 0 -> 1 -> 2 -> 3 -> 0 and a shortcut 1 -> 3: the shortest cycle through 0 is 0,1,3 */
    static const int e[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 0}, {1, 3}};
    graph x = make(4, e, 5);
    int out[8];
    CHECK_INT(cycle_of(&x, 0, out), 3);
    CHECK(out[0] == 0 && out[1] == 1 && out[2] == 3);
    CHECK_INT(cycle_of(&x, 2, out), 4); /* 2 -> 3 -> 0 -> 1 -> 2 */
    CHECK(out[0] == 2 && out[1] == 3 && out[2] == 0 && out[3] == 1);

    static const int self[][2] = {{0, 0}, {0, 1}};
    x = make(2, self, 2);
    CHECK_INT(cycle_of(&x, 0, out), 1);
    CHECK_INT(out[0], 0);
    CHECK_INT(cycle_of(&x, 1, out), 0); /* on no cycle */

    /* two cycles sharing node 0: through 2 it is 2 -> 0 -> 2, not the longer one */
    static const int two[][2] = {{0, 1}, {1, 0}, {0, 2}, {2, 0}};
    x = make(3, two, 4);
    CHECK_INT(cycle_of(&x, 2, out), 2);
    CHECK(out[0] == 2 && out[1] == 0);
}

/* A 200,000-node chain closed into one cycle, and the same chain open: no recursion, so no
 * stack overflow; one component vs. one per node. */
static void test_deep_chain(void)
{
    int n = 200000;
    int *off = malloc(((size_t)n + 1) * sizeof *off), *adj = malloc((size_t)n * sizeof *adj);
    int *comp = malloc((size_t)n * sizeof *comp), *work = malloc(2 * (size_t)n * sizeof *work);
    int *out = malloc((size_t)n * sizeof *out);
    for (int i = 0; i <= n; i++)
        off[i] = i;
    for (int i = 0; i < n; i++)
        adj[i] = (i + 1) % n;
    cx_depgraph g = {n, off, adj};
    CHECK_INT(cx_depgraph_components(&g, comp), 1);
    for (int i = 0; i < 2 * n; i++)
        work[i] = -1;
    CHECK_INT(cx_depgraph_shortest_cycle(&g, comp, 5, work, out), n);
    CHECK(out[0] == 5 && out[1] == 6 && out[n - 1] == 4);
    off[n] = n - 1; /* the last node loses its edge back to 0: an open chain */
    CHECK_INT(cx_depgraph_components(&g, comp), n);
    for (int i = 0; i < 2 * n; i++)
        work[i] = -1;
    CHECK_INT(cx_depgraph_shortest_cycle(&g, comp, 5, work, out), 0);
    free(off);
    free(adj);
    free(comp);
    free(work);
    free(out);
}

int main(void)
{
    test_components();
    test_shortest_cycle();
    test_deep_chain();
    return CHECK_DONE();
}
