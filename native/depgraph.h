/* Dependency-graph analysis over a compressed adjacency list: node i's edges are
 * adj[off[i] .. off[i+1]-1] (for the scheduler, "task i depends on adj[k]"). Plain arrays in and
 * out, no allocation beyond what a call says, no recursion (graphs of any depth). */
#ifndef CX_DEPGRAPH_H
#define CX_DEPGRAPH_H

typedef struct cx_depgraph {
    int n;
    const int *off; /* n + 1 entries */
    const int *adj;
} cx_depgraph;

/* Strongly connected components (Tarjan's algorithm, iterative): comp[i] = the component of
 * node i, numbered in the order they complete (a component's edges lead only to components with
 * smaller or equal numbers). Returns the number of components, or -1 when out of memory. */
int cx_depgraph_components(const cx_depgraph *g, int *comp);

/* Whether node v lies on a cycle: in a component of more than one node, or with an edge to
 * itself. sizes[c] = the number of nodes in component c (cx_depgraph_component_sizes). */
int cx_depgraph_on_cycle(const cx_depgraph *g, const int *comp, const int *sizes, int v);
void cx_depgraph_component_sizes(const cx_depgraph *g, const int *comp, int *sizes);

/* A shortest cycle through v (breadth-first over edges within v's component): writes its nodes
 * into out, v first, each followed by the node it has an edge to (the last one's edge goes back to
 * v), and returns how many (0 when v is on no cycle). work: 2 * n ints whose first n are -1 on
 * entry; they are -1 again on return, so one buffer serves many calls at O(cycle search) each. */
int cx_depgraph_shortest_cycle(const cx_depgraph *g, const int *comp, int v, int *work, int *out);

#endif
