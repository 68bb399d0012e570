/* Dependency-graph analysis (depgraph.h): components and shortest cycles. */
#include "depgraph.h"

#include <stdlib.h>

int cx_depgraph_components(const cx_depgraph *g, int *comp)
{
    int n = g->n;
    size_t sz = (size_t)n + 1;
    int *idx = malloc(sz * sizeof *idx), *low = malloc(sz * sizeof *low);
    int *stack = malloc(sz * sizeof *stack), *call = malloc(sz * sizeof *call);
    int *edge = malloc(sz * sizeof *edge);
    char *on = calloc(sz, 1);
    int ncomp = -1;
    if (!idx || !low || !stack || !call || !edge || !on)
        goto done;
    for (int i = 0; i < n; i++)
        idx[i] = -1;
    int counter = 0, sp = 0;
    ncomp = 0;
    for (int root = 0; root < n; root++) {
        if (idx[root] != -1)
            continue;
        int depth = 0;
        call[0] = root;
        edge[0] = g->off[root];
        idx[root] = low[root] = counter++;
        stack[sp++] = root;
        on[root] = 1;
        while (depth >= 0) {
            int v = call[depth];
            if (edge[depth] < g->off[v + 1]) { /* the next edge of v */
                int w = g->adj[edge[depth]++];
                if (idx[w] == -1) {
                    idx[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on[w] = 1;
                    call[++depth] = w;
                    edge[depth] = g->off[w];
                } else if (on[w] && idx[w] < low[v]) {
                    low[v] = idx[w];
                }
                continue;
            }
            if (low[v] == idx[v]) { /* v roots a component: pop it */
                int w;
                do {
                    w = stack[--sp];
                    on[w] = 0;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            if (--depth >= 0 && low[v] < low[call[depth]])
                low[call[depth]] = low[v];
        }
    }
done:
    free(idx);
    free(low);
    free(stack);
    free(call);
    free(edge);
    free(on);
    return ncomp;
}

void cx_depgraph_component_sizes(const cx_depgraph *g, const int *comp, int *sizes)
{
    for (int i = 0; i < g->n; i++)
        sizes[i] = 0;
    for (int i = 0; i < g->n; i++)
        sizes[comp[i]]++;
}

int cx_depgraph_on_cycle(const cx_depgraph *g, const int *comp, const int *sizes, int v)
{
    if (sizes[comp[v]] > 1)
        return 1;
    for (int k = g->off[v]; k < g->off[v + 1]; k++) {
        if (g->adj[k] == v)
            return 1;
    }
    return 0;
}

int cx_depgraph_shortest_cycle(const cx_depgraph *g, const int *comp, int v, int *work, int *out)
{
    int *parent = work, *queue = work + g->n;
    int head = 0, tail = 0, last = -1;
    queue[tail++] = v;
    while (head < tail && last < 0) {
        int u = queue[head++];
        for (int k = g->off[u]; k < g->off[u + 1]; k++) {
            int w = g->adj[k];
            if (w == v) { /* back at v: the path to u closes the cycle */
                last = u;
                break;
            }
            if (comp[w] == comp[v] && parent[w] == -1) {
                parent[w] = u;
                queue[tail++] = w;
            }
        }
    }
    int n = 0;
    if (last >= 0) {
        for (int u = last; u != v; u = parent[u])
            out[n++] = u;
        out[n++] = v;
        for (int i = 0; i < n / 2; i++) { /* v first, then along the edges */
            int x = out[i];
            out[i] = out[n - 1 - i];
            out[n - 1 - i] = x;
        }
    }
    for (int i = 1; i < tail; i++)
        parent[queue[i]] = -1;
    return n;
}
