// Real Quill 2 (LinkedIn's older comment box) for the LinkedIn fixture page.
import Quill from 'quill';

function mount(container, { onChange, placeholder }) {
  const quill = new Quill(container, {
    placeholder: placeholder || '',
    modules: { toolbar: false },
  });
  // quill.getText() always ends with the document's final newline.
  const getText = () => quill.getText().replace(/\n$/, '');
  quill.on('text-change', () => onChange(getText()));
  return {
    kind: 'quill',
    editor: quill,
    getText,
    clear() {
      quill.setText('', 'user');
    },
    destroy() {},
  };
}

window.FixtureEditors = Object.assign(window.FixtureEditors || {}, { quill: { mount } });
