"""The code generator of the sandboxed environments, and the rewriting of each parse tree.

The limits of :mod:`templating.rendering.limits` need a check wherever a template can do
work, including where no call or filter is: the parse tree is rewritten so every
``{% for %}`` iterates through :meth:`TemplateSandbox.guarded_iter` and every loop body's
literal text is charged (:func:`_guard_tree`), and ``~`` compiles to
:meth:`TemplateSandbox.guarded_concat`, measured before it is built.
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst


class GuardedCodeGenerator(CodeGenerator):
    """Compiles ``~`` to a concatenation that is measured before it is built (Jinja
    compiles it to a direct call of its own join, which no sandbox hook sees)."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 - Jinja's visitor name
        if frame.eval_ctx.volatile:
            autoescape = "context.eval_ctx.autoescape"
        else:
            autoescape = repr(bool(frame.eval_ctx.autoescape))
        self.write(f"environment.guarded_concat({autoescape}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _guard_tree(node: nodes.Node, in_loop: bool = False) -> None:
    """Route every loop's iterable through ``guarded_iter``; charge the literal text a
    loop body outputs on each pass (outside loops it is bounded by the source size).

    Both are calls of environment attributes, which no template source can name; they
    compile as every call of a template does, through the sandbox's ``call``."""
    if isinstance(node, nodes.Output) and in_loop:
        static = sum(
            len(child.data) if isinstance(child, nodes.TemplateData) else len(str(child.value))
            for child in node.nodes
            if isinstance(child, (nodes.TemplateData, nodes.Const))
        )
        if static:
            charge = nodes.Call(
                nodes.EnvironmentAttribute("charge_static"), [nodes.Const(static)], [], None, None
            )
            node.nodes.insert(0, charge.set_lineno(node.lineno))
    for child in list(node.iter_child_nodes()):
        _guard_tree(child, in_loop or (isinstance(node, nodes.For) and child is not node.iter))
    if isinstance(node, nodes.For):
        guard = nodes.Call(nodes.EnvironmentAttribute("guarded_iter"), [node.iter], [], None, None)
        node.iter = guard.set_lineno(node.iter.lineno)
