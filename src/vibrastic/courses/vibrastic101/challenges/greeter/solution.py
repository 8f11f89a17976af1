"""Challenge: Greeter and Question (deck: Python refresher → Classes, Inheritance)."""


class Greeter:
    """Greets a person by name."""

    # Constructor
    def __init__(self, name):
        # BEGIN SOLUTION: create an instance variable for the name
        self.name = name
        # END SOLUTION

    # Instance method
    def greet(self, loud=False):
        """Print 'Hello, <name>', or 'HELLO, <NAME>!' when loud."""
        # BEGIN SOLUTION: print the loud or the quiet greeting
        if loud:
            print('HELLO, %s!' % self.name.upper())  # noqa: UP031 - the deck's style
        else:
            print('Hello, %s' % self.name)  # noqa: UP031
        # END SOLUTION


class Question(Greeter):
    """A Greeter that can also ask whether you are who it thinks."""

    def __init__(self, name):
        # BEGIN SOLUTION: call the parent's constructor
        super().__init__(name)
        # END SOLUTION

    def ask(self):
        """Print 'Are you <name>?'."""
        # BEGIN SOLUTION: print the question
        print('Are you %s?' % self.name)  # noqa: UP031
        # END SOLUTION


if __name__ == "__main__":
    g = Greeter('Fred')
    g.greet()
    g.greet(loud=True)
    q = Question('Fred')
    q.ask()
