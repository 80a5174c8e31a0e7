// The answer's edit page: what the artisan will read, shown live while the admin types (staff/answer.html).
(() => {
  const MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre"];
  const form = document.getElementById("answer-form");
  const preview = document.getElementById("live-preview");
  if (!form || !preview) return;
  const bubble = preview.querySelector(".msg");

  function frenchDate(iso) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!match) return null;
    const day = Number(match[3]);
    const month = MONTHS[Number(match[2]) - 1];
    return month ? `${day === 1 ? "1er" : day} ${month} ${match[1]}` : null;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render() {
    const paragraphs = form.elements.text.value.replace(/\r\n/g, "\n").trim().split(/\n\s*\n/).filter(Boolean);
    const day = form.elements.show_date.checked ? frenchDate(form.elements.updated_on.value) : null;
    if (day) paragraphs.push(`Mis à jour le ${day}.`);
    const buttons = form.elements.buttons.value.split("\n").map((line) => line.split("|")[0].trim()).filter(Boolean);
    bubble.replaceChildren(element("span", "who", "crisisbot"));
    paragraphs.forEach((paragraph) => bubble.append(element("span", "text", paragraph)));
    if (buttons.length) {
      const row = element("span", "buttons");
      buttons.forEach((title) => {
        const button = element("button", "", title);
        button.type = "button";
        button.disabled = true;
        row.append(button);
      });
      bubble.append(row);
    }
  }

  preview.hidden = false;
  form.addEventListener("input", render);
  form.addEventListener("change", render);
  render();
})();
