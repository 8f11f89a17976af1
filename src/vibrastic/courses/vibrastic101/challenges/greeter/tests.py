"""Tests of the greeter challenge: the deck's Fred, then other names and the inheritance."""

from vibrastic.platform.course.checks import Case, equal, printed

CASES = [
    Case("Greeter('Fred').greet() prints 'Hello, Fred'", "Greeter('Fred').greet()", printed(),
         hint="The greeting is 'Hello, ' followed by the name kept on self."),
    Case("greet(loud=True) prints 'HELLO, FRED!'", "Greeter('Fred').greet(loud=True)", printed(),
         hint="self.name.upper() gives 'FRED'; the loud greeting ends with '!'."),
    Case("Greeter keeps the name in self.name", "Greeter('Ada').name", equal(),
         hint="__init__ has two underscores on each side, and keeps the name on self."),
    Case("Question('Fred').ask() prints 'Are you Fred?'", "Question('Fred').ask()", printed(),
         hint="Indent ask inside class Question, and spell __init__ with two underscores."),
    Case("a Question is a Greeter and can greet",
         "q = Question('Grace')\nq.greet(loud=True)\nisinstance(q, Greeter)", equal(),
         hint="class Question(Greeter): inherits greet from Greeter."),
    Case("Question's greeting is inherited", "Question('Linus').greet()", printed(),
         hint="Do not redefine greet in Question: the inherited one already prints the greeting."),
    Case("two greeters keep their own names",
         "a, b = Greeter('Ann'), Question('Bob')\na.greet()\nb.ask()\n[a.name, b.name]", equal(),
         hidden=True, hint="Store the name on self, not in a class attribute or a global."),
    Case("a name with spaces, loud", "Question('Ada Lovelace').greet(loud=True)", printed(),
         hidden=True),
]
