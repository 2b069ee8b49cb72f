"""The message topology as a value, and its drawings.

    graph = topology([Part("payments[prod]", stack, live)])    # pure: manifests (+ live state)
    collapse(graph, max_fanout=12)                              # readable at any size, says so
    to_mermaid(graph) | to_dot(graph) | to_svg(graph)           # the drawings

The plan's diagram (``plan_diagram``) is the same value cut down to what a plan touches.
"""
